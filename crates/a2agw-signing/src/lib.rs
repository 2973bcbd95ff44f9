//! A2A 1.0 agent card signatures (spec §8.4): RFC 8785 canonicalisation, the signed
//! payload, detached-payload JWS signing, JWKS, and verification against trusted
//! keys. Pure computation over `serde_json::Value`: no IO beyond reading a key file
//! or variable the caller names, **no network** (a header's `jku` is never
//! followed), no async runtime. Crypto goes through `jsonwebtoken` on aws-lc-rs
//! (no ring, no openssl).
//!
//! # Procedure
//! - **Payload** ([`card_payload`]): the card without `signatures`, with proto field
//!   presence applied: unset optional fields and default-valued implicit fields
//!   dropped, REQUIRED fields kept even at `""`/`[]`, optional fields kept when set.
//!   Unknown members (a 0.3 `url`, vendor fields) are **kept as received**, so a
//!   verifier checks exactly what the signer sent. `signatures` is removed at the top
//!   level only.
//! - **Canonical bytes** ([`canonicalize`]): RFC 8785 JCS.
//! - **Protected header** ([`protected_header`]): `{"alg","kid","typ":"JOSE"[,"jku"]}`
//!   in that order.
//! - **Signing input**: `BASE64URL(protected) || '.' || BASE64URL(JCS(payload))`. The
//!   payload is detached (not transmitted) but base64url-encoded in the input: this
//!   is not RFC 7797 `b64:false`.
//! - **Verification** ([`verify_card`]): at least one valid signature by a key in
//!   [`TrustedKeys`], chosen by `kid`; `alg` allowlist EdDSA, ES256, ES384, RS256,
//!   PS256 (never `none` nor `HS*`); `crit` refused. See [`TrustPolicy`].
//!
//! # Interoperability
//! The official Python SDK (`a2a-sdk[signing]` 1.3) verifies our signatures and we
//! verify its, for cards without empty values: its canonicaliser drops every `""`,
//! `[]` and `{}` (REQUIRED fields included, against §8.4.1) and drops unknown fields
//! (it parses into the proto type). Older SDK releases also did not implement RFC 8785
//! for non-ASCII text, non-BMP keys and floats; keep interop cards ASCII-only.

mod error;
mod jcs;
mod keys;
mod payload;
mod sign;
mod verify;

pub use error::{Error, Result, VerifyError};
pub use jcs::canonicalize;
pub use keys::{Jwks, SignatureAlgorithm, SigningKey, TrustedKeys};
pub use payload::card_payload;
pub use sign::{protected_header, sign_card, with_signature, with_signatures};
pub use verify::{TrustPolicy, Verified, verify_card};
