//! Where `PUT /policy {"model": …}` may load a model from: only inside the
//! agent's models directory (`models_dir`, default: the folder of its
//! configured `model`), so a control-API caller cannot make the agent open
//! an arbitrary file.

use std::path::{Path, PathBuf};

/// Why a requested model path is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelPathError {
    #[error("this agent has no models_dir: set `models_dir` in its config to load models at run time")]
    NoDirectory,
    #[error("model {0}: no such file in the models directory")]
    Missing(String),
    #[error("model {0}: outside the models directory")]
    Outside(String),
}

/// The file `requested` names inside `dir` (a relative name is taken in
/// `dir`). Refused without a directory, for a missing file, and for a path
/// that leads outside `dir` (`..`, an absolute path elsewhere, a symbolic link).
pub fn resolve_model(dir: Option<&Path>, requested: &Path) -> Result<PathBuf, ModelPathError> {
    let dir = dir.ok_or(ModelPathError::NoDirectory)?;
    let shown = requested.display().to_string();
    let root = dir.canonicalize().map_err(|_| ModelPathError::NoDirectory)?;
    let candidate = if requested.is_relative() { dir.join(requested) } else { requested.to_path_buf() };
    let real = candidate.canonicalize().map_err(|_| ModelPathError::Missing(shown.clone()))?;
    if real.starts_with(&root) { Ok(real) } else { Err(ModelPathError::Outside(shown)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_files_inside_the_directory_are_served() {
        let tmp = tempfile::tempdir().unwrap();
        let models = tmp.path().join("models");
        std::fs::create_dir(&models).unwrap();
        std::fs::write(models.join("a.dfpolicy"), b"x").unwrap();
        std::fs::write(tmp.path().join("secret.key"), b"x").unwrap();
        let ok = resolve_model(Some(&models), Path::new("a.dfpolicy")).unwrap();
        assert!(ok.ends_with("models/a.dfpolicy"));
        assert_eq!(resolve_model(Some(&models), &models.join("a.dfpolicy")).unwrap(), ok, "absolute inside");
        let out = |p: &Path| resolve_model(Some(&models), p).unwrap_err();
        assert!(matches!(out(Path::new("../secret.key")), ModelPathError::Outside(_)));
        assert!(matches!(out(&tmp.path().join("secret.key")), ModelPathError::Outside(_)));
        assert!(matches!(out(Path::new("nope.dfpolicy")), ModelPathError::Missing(_)));
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(tmp.path().join("secret.key"), models.join("link.dfpolicy")).unwrap();
            assert!(matches!(out(Path::new("link.dfpolicy")), ModelPathError::Outside(_)), "a symlink out");
        }
        assert_eq!(resolve_model(None, Path::new("a.dfpolicy")), Err(ModelPathError::NoDirectory));
    }
}
