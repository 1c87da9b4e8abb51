//! Where the PPO updates run: the CPU (`flex`, always built) or, in a build
//! with the `cuda` feature, an NVIDIA GPU. Rollouts always run on the CPU:
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
}

impl Compute {
    /// Parses `cpu`, `cuda` or `cuda:N`; refuses CUDA in a build without it.
    pub fn parse(s: &str) -> Result<Compute, String> {
        let c = match s.trim() {
            "cpu" | "flex" => Compute::Cpu,
            "cuda" => Compute::Cuda(0),
            other => match other.strip_prefix("cuda:").map(str::parse::<usize>) {
                Some(Ok(i)) => Compute::Cuda(i),
                _ => return Err(format!("device `{s}`: expected cpu, cuda or cuda:N")),
            },
        };
        if matches!(c, Compute::Cuda(_)) && !cfg!(feature = "cuda") {
            return Err(format!(
                "device `{s}`: this dfaas was built without CUDA; rebuild with `cargo build --release --features cuda`"
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
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_refuses_clearly() {
        assert_eq!(Compute::parse("cpu"), Ok(Compute::Cpu));
        assert!(Compute::parse("tpu").unwrap_err().contains("expected cpu, cuda or cuda:N"));
        assert!(Compute::parse("cuda:x").is_err());
        if cfg!(feature = "cuda") {
            assert_eq!(Compute::parse("cuda:1"), Ok(Compute::Cuda(1)));
        } else {
            assert!(Compute::parse("cuda").unwrap_err().contains("--features cuda"));
        }
    }
}
