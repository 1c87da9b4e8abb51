//! A shared normalized network can be given more neighbour slots than the
//! training scenario's largest degree (`max_degree` in the experiment file),
//! so the exported policy acts on nodes of higher degree elsewhere; a width
//! below the scenario's degree, or on another layout, is refused.

mod common;

use dfaas_env::{Scenario, Simulator};
use dfaas_training::config::{EncodingChoice, Mode};
use dfaas_training::layout::Layout;

#[test]
fn a_wider_shared_network_pads_every_node_and_narrower_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let sim = Simulator::new(&Scenario::load(common::write_scenario(dir.path())).unwrap()).unwrap();
    let own = Layout::new(&sim, Mode::Shared, EncodingChoice::Normalized).unwrap();
    let wide = Layout::with_width(&sim, Mode::Shared, EncodingChoice::Normalized, Some(5)).unwrap();
    assert_eq!((own.max_degree, wide.max_degree), (1, 5));
    // Local, five neighbour slots, reject; each node uses its one neighbour.
    assert_eq!(wide.nets[0].action_dim, 7);
    assert!(wide.nets[0].obs_dim > own.nets[0].obs_dim);
    assert_eq!(wide.masks[0], vec![true, true, false, false, false, false, true]);

    let e = Layout::with_width(&sim, Mode::Shared, EncodingChoice::Normalized, Some(0)).unwrap_err();
    assert!(e.contains("below the scenario's largest degree 1"), "{e}");
    let e = Layout::with_width(&sim, Mode::Independent, EncodingChoice::Normalized, Some(5)).unwrap_err();
    assert!(e.contains("shared network"), "{e}");
}
