//! Spec-example goldens (being written).
