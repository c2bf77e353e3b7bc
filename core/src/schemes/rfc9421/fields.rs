//! The `Signature-Input` and `Signature` dictionaries a message already
//! carries.
//!
//! Contract: [`existing_signatures`] reads both fields (each the message's
//! lines joined), refuses a label given twice, and requires the two to name
//! the same labels; `None` when the message has neither.

use sfv::visitor::{DictionaryVisitor, EntryVisitor, Ignored};
use sfv::{Dictionary, KeyRef, Parser};

use super::values::field_lines;
use super::{SIGNATURE_HEADER, SIGNATURE_INPUT_HEADER};
use crate::request::Header;

/// The field's lines joined with `", "`; `None` when it is absent.
fn combined(headers: &[Header], name: &str) -> Option<String> {
    let lines = field_lines(headers, name);
    (!lines.is_empty()).then(|| lines.join(", "))
}

/// Collects a dictionary's keys in order, duplicates included.
struct Keys(Vec<String>);

impl<'de> DictionaryVisitor<'de> for Keys {
    type Out = Vec<String>;
    type Error = std::convert::Infallible;

    fn entry(&mut self, key: &'de KeyRef) -> std::result::Result<impl EntryVisitor<'de>, Self::Error> {
        self.0.push(key.as_str().to_owned());
        Ok(Ignored)
    }

    fn finish(self) -> std::result::Result<Self::Out, Self::Error> {
        Ok(self.0)
    }
}

/// Parses a signature dictionary; a label given twice is an error rather
/// than the last one silently winning.
fn parse_signature_dictionary(value: &str, field: &str) -> std::result::Result<Dictionary, String> {
    let keys =
        Parser::new(value).parse_dictionary_with_visitor(Keys(Vec::new())).map_err(|e| format!("{field} is not a dictionary: {e}"))?;
    let dict = Parser::new(value).parse::<Dictionary>().map_err(|e| format!("{field} is not a dictionary: {e}"))?;
    if keys.len() != dict.len() {
        return Err(format!("{field} names a label more than once"));
    }
    Ok(dict)
}

/// The `Signature-Input` and `Signature` dictionaries already in a message.
pub(crate) fn existing_signatures(headers: &[Header]) -> std::result::Result<Option<(Dictionary, Dictionary)>, String> {
    match (combined(headers, SIGNATURE_INPUT_HEADER), combined(headers, SIGNATURE_HEADER)) {
        (None, None) => Ok(None),
        (Some(input), Some(signature)) => {
            let inputs = parse_signature_dictionary(&input, SIGNATURE_INPUT_HEADER)?;
            let signatures = parse_signature_dictionary(&signature, SIGNATURE_HEADER)?;
            let sorted = |d: &Dictionary| {
                let mut keys: Vec<&str> = d.keys().map(|k| k.as_str()).collect();
                keys.sort_unstable();
                keys.join(",")
            };
            if sorted(&inputs) != sorted(&signatures) {
                return Err(format!("{SIGNATURE_INPUT_HEADER} and {SIGNATURE_HEADER} name different labels"));
            }
            Ok(Some((inputs, signatures)))
        }
        (Some(_), None) => Err(format!("the message has {SIGNATURE_INPUT_HEADER} but no {SIGNATURE_HEADER}")),
        (None, Some(_)) => Err(format!("the message has {SIGNATURE_HEADER} but no {SIGNATURE_INPUT_HEADER}")),
    }
}
