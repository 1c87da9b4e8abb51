//! Observation encodings (fidelity layouts and the normalized padded one).
