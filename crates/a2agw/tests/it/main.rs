//! End-to-end tests of the `a2a-gateway` binary with real clients: the official Python A2A
//! SDK on every binding (1.0 and 0.3), and a 0.3 client reading the hybrid card.
//!
//! The Python tests need the virtualenv `.ci/run` creates (`$A2AGW_PYTHON`, else
//! `~/.cache/a2a-gateway/venv/bin/python`, with `a2a-sdk[http-server,grpc]`); without it
//! they are skipped with a note, and fail when `CI` is set.

mod admin;
mod agents;
mod interop;
#[cfg(feature = "otel")]
mod otel;
#[cfg(feature = "postgres")]
mod pg_two;
mod providers;
mod support;
mod v03;
