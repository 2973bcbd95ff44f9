//! Serde helpers for the ProtoJSON conventions: default omission, explicit presence, base64 bytes.

use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serializer};

pub(crate) fn is_false(b: &bool) -> bool {
    !*b
}

/// Accepts `null` as "absent" for an implicit-presence field and yields the default.
pub(crate) fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Standard base64 with padding on output (ProtoJSON `bytes`).
pub(crate) fn encode_b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// ProtoJSON readers accept standard and URL-safe alphabets, padded or not.
pub(crate) fn decode_b64(s: &str) -> Result<Vec<u8>, base64::DecodeError> {
    use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
    let trimmed = s.trim_end_matches('=');
    if trimmed.contains(['-', '_']) {
        URL_SAFE_NO_PAD.decode(trimmed)
    } else {
        STANDARD_NO_PAD.decode(trimmed)
    }
}

pub(crate) fn ser_b64<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&encode_b64(bytes))
}

/// Defines a protobuf enum with its ProtoJSON form: serialized as the value name,
/// read from the name or from the numeric value.
macro_rules! proto_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $num:literal => $json:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[ $( $name::$variant, )+ ];

            /// The ProtoJSON name of the value.
            pub const fn as_str(self) -> &'static str {
                match self { $( $name::$variant => $json, )+ }
            }

            /// The protobuf number of the value.
            pub const fn number(self) -> i32 {
                match self { $( $name::$variant => $num, )+ }
            }

            /// The value with this protobuf number.
            pub fn from_number(n: i32) -> Option<Self> {
                match n { $( $num => Some($name::$variant), )+ _ => None }
            }

            /// The value with this ProtoJSON name.
            pub fn from_name(s: &str) -> Option<Self> {
                match s { $( $json => Some($name::$variant), )+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl serde::de::Visitor<'_> for V {
                    type Value = $name;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str(concat!("a ", stringify!($name), " name or number"))
                    }
                    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<$name, E> {
                        $name::from_name(v).ok_or_else(|| {
                            E::custom(format_args!(
                                concat!("unknown ", stringify!($name), " `{}`, expected one of {}"),
                                v,
                                [$($json),+].join(", ")
                            ))
                        })
                    }
                    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<$name, E> {
                        i32::try_from(v)
                            .ok()
                            .and_then($name::from_number)
                            .ok_or_else(|| E::custom(format_args!(concat!("unknown ", stringify!($name), " number {}"), v)))
                    }
                    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<$name, E> {
                        i32::try_from(v)
                            .ok()
                            .and_then($name::from_number)
                            .ok_or_else(|| E::custom(format_args!(concat!("unknown ", stringify!($name), " number {}"), v)))
                    }
                }
                d.deserialize_any(V)
            }
        }
    };
}
pub(crate) use proto_enum;

/// ProtoJSON `int32`: a JSON number or a decimal string, rejected when out of range or fractional.
pub(crate) mod int32 {
    use serde::{Deserializer, de};
    use std::fmt;

    struct V;
    impl de::Visitor<'_> for V {
        type Value = i32;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a 32-bit integer")
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<i32, E> {
            i32::try_from(v)
                .map_err(|_| E::custom(format_args!("{v} is out of range for a 32-bit integer")))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<i32, E> {
            i32::try_from(v)
                .map_err(|_| E::custom(format_args!("{v} is out of range for a 32-bit integer")))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<i32, E> {
            if v.fract() == 0.0 && v >= f64::from(i32::MIN) && v <= f64::from(i32::MAX) {
                // Checked above: integral and within range.
                #[allow(clippy::cast_possible_truncation)]
                Ok(v as i32)
            } else {
                Err(E::custom(format_args!("{v} is not a 32-bit integer")))
            }
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<i32, E> {
            v.trim()
                .parse::<i32>()
                .map_err(|_| E::custom(format_args!("`{v}` is not a 32-bit integer")))
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i32, D::Error> {
        d.deserialize_any(V)
    }

    /// For `optional int32` fields (explicit presence).
    pub(crate) mod option {
        use serde::{Deserialize, Deserializer};

        #[derive(Deserialize)]
        struct Wrap(#[serde(deserialize_with = "super::deserialize")] i32);

        pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Option<i32>, D::Error> {
            Ok(Option::<Wrap>::deserialize(d)?.map(|w| w.0))
        }
    }

    /// For implicit-presence `int32` fields, where `null` means 0.
    pub(crate) mod or_null {
        use serde::Deserializer;

        pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i32, D::Error> {
            Ok(super::option::deserialize(d)?.unwrap_or(0))
        }
    }
}

/// ProtoJSON `bytes` with explicit presence inside a oneof.
pub(crate) mod opt_b64 {
    use serde::{Deserialize, Deserializer, de::Error};

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Vec<u8>>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(s) => super::decode_b64(&s)
                .map(Some)
                .map_err(|e| D::Error::custom(format_args!("invalid base64: {e}"))),
        }
    }
}

/// A `google.protobuf.Value` inside a oneof: present `null` is a value, not absence.
pub(crate) fn present_value<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<serde_json::Value>, D::Error> {
    serde_json::Value::deserialize(d).map(Some)
}
