//! Where the PPO updates run: the CPU (`flex`, always built) or, in a build
//! with the `cuda` feature, an NVIDIA GPU, or with the `wgpu` feature, the
//! best GPU wgpu finds (Vulkan, Metal, DX12). Rollouts always run on the CPU:
//! their batches are a few rows, where a GPU only adds transfer latency.

use burn::tensor::Device;

/// The device of the learners' networks and optimisers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Compute {
    /// burn's pure-Rust `flex` backend.
    #[default]
    Cpu,
    /// CUDA device with this index (feature `cuda`).
    Cuda(usize),
    /// wgpu's default (highest-power) adapter (feature `wgpu`).
    Wgpu,
}

impl Compute {
    /// Parses `cpu`, `cuda`, `cuda:N` or `wgpu`; refuses a GPU backend the
    /// build lacks, naming the feature to build with.
    pub fn parse(s: &str) -> Result<Compute, String> {
        let c = match s.trim() {
            "cpu" | "flex" => Compute::Cpu,
            "cuda" => Compute::Cuda(0),
            "wgpu" => Compute::Wgpu,
            other => match other.strip_prefix("cuda:").map(str::parse::<usize>) {
                Some(Ok(i)) => Compute::Cuda(i),
                _ => return Err(format!("device `{s}`: expected cpu, cuda, cuda:N or wgpu")),
            },
        };
        let missing = match c {
            Compute::Cuda(_) if !cfg!(feature = "cuda") => Some("cuda"),
            Compute::Wgpu if !cfg!(feature = "wgpu") => Some("wgpu"),
            _ => None,
        };
        if let Some(f) = missing {
            return Err(format!(
                "device `{s}`: this dfaas was built without the `{f}` feature; rebuild with `cargo build --release --features {f}`"
            ));
        }
        Ok(c)
    }

    /// The device without autodiff (evaluation passes).
    pub fn plain(&self) -> Device {
        match self {
            Compute::Cpu => Device::flex(),
            #[cfg(feature = "cuda")]
            Compute::Cuda(i) => Device::cuda(*i),
            #[cfg(not(feature = "cuda"))]
            Compute::Cuda(_) => unreachable!("Compute::parse refuses cuda without the feature"),
            #[cfg(feature = "wgpu")]
            Compute::Wgpu => Device::wgpu(burn::tensor::DeviceKind::DefaultDevice),
            #[cfg(not(feature = "wgpu"))]
            Compute::Wgpu => unreachable!("Compute::parse refuses wgpu without the feature"),
        }
    }

    /// The device with autodiff (updates).
    pub fn train(&self) -> Device {
        self.plain().autodiff()
    }
}

impl std::fmt::Display for Compute {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Compute::Cpu => f.write_str("cpu"),
            Compute::Cuda(i) => write!(f, "cuda:{i}"),
            Compute::Wgpu => f.write_str("wgpu"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_refuses_clearly() {
        assert_eq!(Compute::parse("cpu"), Ok(Compute::Cpu));
        assert!(Compute::parse("tpu").unwrap_err().contains("expected cpu, cuda, cuda:N or wgpu"));
        assert!(Compute::parse("cuda:x").is_err());
        if cfg!(feature = "cuda") {
            assert_eq!(Compute::parse("cuda:1"), Ok(Compute::Cuda(1)));
        } else {
            assert!(Compute::parse("cuda").unwrap_err().contains("--features cuda"));
        }
        if !cfg!(feature = "wgpu") {
            assert!(Compute::parse("wgpu").unwrap_err().contains("--features wgpu"));
        }
    }
}
