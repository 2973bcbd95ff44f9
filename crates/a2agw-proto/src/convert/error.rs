//! [`ConvertError`] and the field-path plumbing shared by the conversions.

use a2agw_types::FieldViolation;

/// Why a protobuf message has no `a2agw-types` counterpart.
///
/// Every variant names the offending field by its path from the converted
/// message: dotted camelCase JSON names, `[i]` for list elements and `.key`
/// for map entries and `Struct` members (`history[1].parts[0].content`,
/// `securitySchemes.oauth.oauth2SecurityScheme.flows`). A unset oneof is named
/// by the oneof (`content`, `payload`, `scheme`, `flow`); an error on the
/// converted message itself has an empty path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConvertError {
    /// A oneof that must hold exactly one member holds none (`Part.content`,
    /// `StreamResponse.payload`, `SendMessageResponse.payload`,
    /// `SecurityScheme.scheme`, `OAuthFlows.flow`).
    #[error("`{field}`: none of the members of the oneof is set")]
    MissingOneof {
        /// Path of the oneof.
        field: String,
    },
    /// An enum field holds a number its enum does not define.
    #[error("`{field}`: {value} is not a {enum_name} value")]
    EnumOutOfRange {
        /// Path of the enum field.
        field: String,
        /// The protobuf enum (`TaskState`, `Role`).
        enum_name: &'static str,
        /// The number received.
        value: i32,
    },
    /// A `google.protobuf.Timestamp` outside `0001-01-01T00:00:00Z` ..=
    /// `9999-12-31T23:59:59.999999999Z`, or with `nanos` outside `0..1e9`.
    #[error(
        "`{field}`: timestamp (seconds {seconds}, nanos {nanos}) is outside 0001-01-01 ..= 9999-12-31 or not normalized"
    )]
    Timestamp {
        /// Path of the timestamp field.
        field: String,
        /// `Timestamp.seconds` as received.
        seconds: i64,
        /// `Timestamp.nanos` as received.
        nanos: i32,
    },
    /// A `google.protobuf.Value` number that is NaN or infinite: JSON has no
    /// such number, and ProtoJSON refuses to write one.
    #[error("`{field}`: NaN and infinite numbers cannot be represented in JSON")]
    NonFiniteNumber {
        /// Path of the value.
        field: String,
    },
    /// A REQUIRED message field is absent and has no default to stand in for
    /// it (only `OAuth2SecurityScheme.flows`: an OAuth 2.0 scheme without a
    /// flow means nothing).
    #[error("`{field}` is REQUIRED")]
    MissingField {
        /// Path of the field.
        field: String,
    },
}

impl ConvertError {
    /// Path of the offending field (see the type's docs for the syntax).
    pub fn field(&self) -> &str {
        match self {
            ConvertError::MissingOneof { field }
            | ConvertError::EnumOutOfRange { field, .. }
            | ConvertError::Timestamp { field, .. }
            | ConvertError::NonFiniteNumber { field }
            | ConvertError::MissingField { field } => field,
        }
    }

    /// The error as a `google.rpc.BadRequest` field violation, e.g. for an
    /// `A2aError::invalid_params` answer to a gRPC request that does not convert.
    pub fn field_violation(&self) -> FieldViolation {
        let description = match self {
            ConvertError::MissingOneof { .. } => "exactly one member must be set".to_owned(),
            ConvertError::EnumOutOfRange {
                enum_name, value, ..
            } => format!("{value} is not a {enum_name} value"),
            ConvertError::Timestamp { .. } => {
                "timestamp out of range (0001-01-01 to 9999-12-31)".to_owned()
            }
            ConvertError::NonFiniteNumber { .. } => {
                "NaN and infinite numbers cannot be represented in JSON".to_owned()
            }
            ConvertError::MissingField { .. } => "required".to_owned(),
        };
        FieldViolation::new(self.field(), description)
    }

    pub(crate) fn missing_oneof(field: &str) -> Self {
        ConvertError::MissingOneof {
            field: field.to_owned(),
        }
    }

    /// Puts `parent` in front of the path: `parent.field`, or `parent[i]…`
    /// when the path starts with an index.
    pub(crate) fn within(mut self, parent: &str) -> Self {
        let field = match &mut self {
            ConvertError::MissingOneof { field }
            | ConvertError::EnumOutOfRange { field, .. }
            | ConvertError::Timestamp { field, .. }
            | ConvertError::NonFiniteNumber { field }
            | ConvertError::MissingField { field } => field,
        };
        *field = if field.is_empty() {
            parent.to_owned()
        } else if field.starts_with('[') {
            format!("{parent}{field}")
        } else {
            format!("{parent}.{field}")
        };
        self
    }
}

/// Adds path context to a conversion result (lazily: only on error).
pub(crate) trait At<T> {
    /// The error happened inside field `parent`.
    fn at(self, parent: &str) -> Result<T, ConvertError>;
}

impl<T> At<T> for Result<T, ConvertError> {
    fn at(self, parent: &str) -> Result<T, ConvertError> {
        self.map_err(|e| e.within(parent))
    }
}
