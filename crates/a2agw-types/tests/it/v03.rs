//! 0.3 compatibility tests (being written).
