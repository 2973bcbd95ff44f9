//! Errors of this crate: decoding, validation and version conversion.

use std::fmt;

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Any failure of this crate.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input could not be decoded into the expected type.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// The input decoded but breaks a rule of the spec.
    #[error(transparent)]
    Validation(#[from] ValidationError),
    /// A value cannot be expressed in the other protocol version.
    #[error(transparent)]
    Conversion(#[from] ConversionError),
}

/// What kind of decoding failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// Not valid JSON at all.
    Syntax,
    /// The input ended early (truncated JSON).
    Eof,
    /// Valid JSON of the wrong shape: wrong type, unknown enum name, bad oneof, out of range.
    Data,
}

/// Input that could not be decoded, with the path of the offending field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// What went wrong.
    pub kind: DecodeErrorKind,
    /// Dotted path of the field (`message.parts[0].raw`); empty at the top level.
    pub path: String,
    /// Human-readable explanation.
    pub message: String,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            DecodeErrorKind::Syntax => "malformed JSON",
            DecodeErrorKind::Eof => "truncated JSON",
            DecodeErrorKind::Data => "invalid value",
        };
        if self.path.is_empty() || self.path == "." {
            write!(f, "{what}: {}", self.message)
        } else {
            write!(f, "{what} at `{}`: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for DecodeError {}

impl DecodeError {
    pub(crate) fn from_path_error(e: serde_path_to_error::Error<serde_json::Error>) -> Self {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let kind = match inner.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Io => {
                DecodeErrorKind::Syntax
            }
            serde_json::error::Category::Eof => DecodeErrorKind::Eof,
            serde_json::error::Category::Data => DecodeErrorKind::Data,
        };
        // serde_json appends " at line L column C"; keep it, it helps with raw bodies.
        DecodeError {
            kind,
            path: if path == "." { String::new() } else { path },
            message: inner.to_string(),
        }
    }
}

/// One broken rule, named by the field's path (as `google.rpc.BadRequest.FieldViolation`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    /// Dotted camelCase path, e.g. `message.parts`.
    pub field: String,
    /// What is wrong with it.
    pub description: String,
}

impl FieldViolation {
    /// A violation of `field`.
    pub fn new(field: impl Into<String>, description: impl Into<String>) -> Self {
        FieldViolation {
            field: field.into(),
            description: description.into(),
        }
    }
}

/// The rules of the spec an input breaks (missing REQUIRED fields, out-of-range values, …).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ValidationError {
    /// Each broken rule.
    pub violations: Vec<FieldViolation>,
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, v) in self.violations.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "`{}`: {}", v.field, v.description)?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationError {}

/// A value that the target protocol version cannot express.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot convert `{field}` to A2A {target}: {reason}")]
pub struct ConversionError {
    /// Path of the field that has no counterpart.
    pub field: String,
    /// The version converted to (`"0.3"` or `"1.0"`).
    pub target: &'static str,
    /// Why.
    pub reason: String,
}

impl ConversionError {
    /// A field of a 1.0 value that 0.3 cannot express.
    pub fn to_v03(field: impl Into<String>, reason: impl Into<String>) -> Self {
        ConversionError {
            field: field.into(),
            target: "0.3",
            reason: reason.into(),
        }
    }

    /// A field of a 0.3 value that 1.0 cannot express.
    pub fn to_v1(field: impl Into<String>, reason: impl Into<String>) -> Self {
        ConversionError {
            field: field.into(),
            target: "1.0",
            reason: reason.into(),
        }
    }
}

/// Decodes `T` from JSON bytes, naming the offending field on failure.
pub fn from_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, DecodeError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let v = serde_path_to_error::deserialize(&mut de).map_err(DecodeError::from_path_error)?;
    de.end().map_err(|e| DecodeError {
        kind: DecodeErrorKind::Syntax,
        path: String::new(),
        message: e.to_string(),
    })?;
    Ok(v)
}

/// Decodes `T` from a JSON value, naming the offending field on failure.
pub fn from_value<T: serde::de::DeserializeOwned>(
    value: serde_json::Value,
) -> Result<T, DecodeError> {
    serde_path_to_error::deserialize(value).map_err(DecodeError::from_path_error)
}
