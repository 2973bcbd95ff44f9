//! Project automation for a2a-gateway: `cargo xtask codegen|tidy|ci`.
fn main() {}
