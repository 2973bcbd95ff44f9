//! End-to-end tests of the server over real sockets.

mod grpc;
mod jwt;
mod rest;
mod support;
