//! `PolicySpec`: a policy name with optional `key=value` parameters.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::PolicyError;

/// A policy name and its parameters, written `name` or `name:key=value,key=value`
/// (e.g. `static:local=0.6`, `power-of-d:d=2,threshold=0.8`).
///
/// Parsing checks only the syntax (non-empty name, `key=value` pairs, no
/// duplicate key); [`build`](crate::build) checks names, keys and values.
/// Serialises as its string form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicySpec {
    name: String,
    params: Vec<(String, String)>,
}

impl PolicySpec {
    /// A spec with no parameters.
    pub fn new(name: impl Into<String>) -> Self {
        Self { name: name.into(), params: Vec::new() }
    }

    /// Parses `name` or `name:key=value,…` (whitespace around parts is ignored).
    pub fn parse(text: &str) -> Result<Self, PolicyError> {
        let syntax = |reason: &str| PolicyError::Syntax { spec: text.to_string(), reason: reason.to_string() };
        let (name, rest) = match text.split_once(':') {
            Some((name, rest)) => (name.trim(), Some(rest)),
            None => (text.trim(), None),
        };
        if name.is_empty() {
            return Err(syntax("the policy name is empty"));
        }
        let mut spec = Self::new(name);
        for part in rest.into_iter().flat_map(|r| r.split(',')) {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            let Some((key, value)) = part.split_once('=') else {
                return Err(syntax(&format!("parameter `{part}` is not of the form key=value")));
            };
            let (key, value) = (key.trim(), value.trim());
            if key.is_empty() {
                return Err(syntax(&format!("parameter `{part}` has an empty key")));
            }
            if spec.get(key).is_some() {
                return Err(syntax(&format!("parameter `{key}` is given twice")));
            }
            spec.params.push((key.to_string(), value.to_string()));
        }
        Ok(spec)
    }

    /// Adds (or replaces) a parameter.
    pub fn with(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        let (key, value) = (key.into(), value.into());
        match self.params.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.params.push((key, value)),
        }
        self
    }

    /// The policy name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The parameters, in the order given.
    pub fn params(&self) -> &[(String, String)] {
        &self.params
    }

    /// The value of parameter `key`, if given.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.params.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

impl FromStr for PolicySpec {
    type Err = PolicyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for PolicySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        for (i, (k, v)) in self.params.iter().enumerate() {
            write!(f, "{}{k}={v}", if i == 0 { ':' } else { ',' })?;
        }
        Ok(())
    }
}

impl Serialize for PolicySpec {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PolicySpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_name_and_params() {
        let s = PolicySpec::parse("power-of-d: d=2 , threshold=0.8").unwrap();
        assert_eq!(s.name(), "power-of-d");
        assert_eq!(s.get("d"), Some("2"));
        assert_eq!(s.get("threshold"), Some("0.8"));
        assert_eq!(s.get("x"), None);
        assert_eq!(s.to_string(), "power-of-d:d=2,threshold=0.8");
        let bare: PolicySpec = "all-local".parse().unwrap();
        assert_eq!(bare.name(), "all-local");
        assert!(bare.params().is_empty());
        assert_eq!(bare.to_string(), "all-local");
        assert_eq!(PolicySpec::parse("static:").unwrap(), PolicySpec::new("static"));
    }

    #[test]
    fn round_trips_through_display() {
        let s = PolicySpec::new("static").with("local", "0.7").with("local", "0.5");
        assert_eq!(s.params().len(), 1);
        assert_eq!(PolicySpec::parse(&s.to_string()).unwrap(), s);
    }

    #[test]
    fn deserialises_from_its_string() {
        use serde::de::value::{Error, StrDeserializer};
        let de = |text| PolicySpec::deserialize(StrDeserializer::<Error>::new(text));
        assert_eq!(de("static:local=0.5").unwrap().get("local"), Some("0.5"));
        let e = de("static:local").unwrap_err().to_string();
        assert!(e.contains("key=value"), "{e}");
    }

    #[test]
    fn syntax_errors_name_the_part() {
        let e = PolicySpec::parse("static:local").unwrap_err().to_string();
        assert!(e.contains("`local`") && e.contains("key=value"), "{e}");
        let e = PolicySpec::parse(":local=1").unwrap_err().to_string();
        assert!(e.contains("name is empty"), "{e}");
        let e = PolicySpec::parse("static:=1").unwrap_err().to_string();
        assert!(e.contains("empty key"), "{e}");
        let e = PolicySpec::parse("static:local=1,local=2").unwrap_err().to_string();
        assert!(e.contains("`local` is given twice"), "{e}");
    }
}
