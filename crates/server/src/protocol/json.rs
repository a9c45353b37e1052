//! The AWS JSON 1.1 protocol (AWS Organizations): the operation is named by the `X-Amz-Target`
//! header (`AWSOrganizationsV20161128.CreateOrganization`), the input is a JSON document checked
//! through botocore's input shape with the same constraints and messages as the Query protocol's,
//! the output is written as JSON after every member is checked against the output shape, and an
//! error is `{"__type": CODE, "Message": ...}` with its HTTP status (botocore's `JSONParser`).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use super::model::{camel, Operation, Service};
use crate::error::ApiError;

/// The content type of JSON 1.1 requests and responses.
pub(crate) const CONTENT_TYPE: &str = "application/x-amz-json-1.1";

/// The operation an `X-Amz-Target` names: what follows the service's prefix and a dot.
pub(crate) fn target_operation(target: &str) -> &str {
    target.rsplit_once('.').map_or(target, |(_, operation)| operation)
}

/// An error as a JSON service answers it.
pub(crate) fn error_response(request_id: &str, error: &ApiError) -> Response {
    if error.code == "ServiceFailure" {
        eprintln!("monban: request {request_id} failed: {}", error.message);
    }
    let status = StatusCode::from_u16(error.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::json!({"__type": json_code(error.code), "Message": error.public_message()}).to_string();
    (status, [("content-type", CONTENT_TYPE), ("x-amzn-requestid", request_id)], body).into_response()
}

/// The JSON services' names for the errors every service shares, which the Query services spell
/// otherwise (botocore's models of the JSON services; AWS's common errors of JSON APIs).
fn json_code(code: &'static str) -> &'static str {
    match code {
        "AccessDenied" => "AccessDeniedException",
        "InvalidClientTokenId" => "UnrecognizedClientException",
        "SignatureDoesNotMatch" => "InvalidSignatureException",
        "MissingAuthenticationToken" => "MissingAuthenticationTokenException",
        "ExpiredToken" => "ExpiredTokenException",
        "ValidationError" => "InvalidInputException",
        "InvalidAction" => "UnknownOperationException",
        other => other,
    }
}

/// Validation errors reported at most: a document of many bad items is answered with the first
/// ones, not with one message per item (which a client could make megabytes long).
const MAX_ERRORS: usize = 10;

/// The deepest input any model has is a few levels; a document nested deeper than this is no
/// input of any operation, and is refused before it is walked.
const MAX_DEPTH: usize = 32;

impl Service {
    /// The input of `operation` from a JSON body, checked through its input shape.
    pub fn decode_json(&self, operation: &Operation, body: &[u8]) -> Result<Value, ApiError> {
        let document: Value = if body.iter().all(u8::is_ascii_whitespace) {
            Value::Object(Map::new())
        } else {
            serde_json::from_slice(body)
                .map_err(|e| ApiError::serialization(format!("The request body is not valid JSON: {e}")))?
        };
        let Some(input) = &operation.input else { return Ok(Value::Object(Map::new())) };
        let mut errors = Vec::new();
        let value = self.decode_json_shape(input, &document, &mut errors, "", 0)?;
        if !errors.is_empty() {
            let n = errors.len();
            let noun = if n == 1 { "error" } else { "errors" };
            return Err(ApiError::validation(format!("{n} validation {noun} detected: {}", errors.join("; "))));
        }
        Ok(value)
    }

    fn decode_json_shape(
        &self,
        shape_name: &str,
        value: &Value,
        errors: &mut Vec<String>,
        path: &str,
        depth: usize,
    ) -> Result<Value, ApiError> {
        if depth > MAX_DEPTH {
            return Err(ApiError::serialization("The request body is nested too deeply."));
        }
        if errors.len() >= MAX_ERRORS {
            return Ok(Value::Null);
        }
        let shape = self.shape(shape_name)?;
        let wrong_type = |errors: &mut Vec<String>, expected: &str| {
            errors.push(format!("Value at '{path}' failed to satisfy constraint: Member must be {expected}"));
            Ok(Value::Null)
        };
        match (shape.kind.as_str(), value) {
            ("structure", Value::Object(object)) => {
                let mut out = Map::new();
                for m in &shape.members {
                    let member_path =
                        if path.is_empty() { camel(&m.name) } else { format!("{path}.{}", camel(&m.name)) };
                    match object.get(&m.name).filter(|v| !v.is_null()) {
                        Some(v) => {
                            let decoded = self.decode_json_shape(&m.shape, v, errors, &member_path, depth + 1)?;
                            out.insert(m.name.clone(), decoded);
                        }
                        None if shape.required.contains(&m.name) => errors.push(format!(
                            "Value null at '{member_path}' failed to satisfy constraint: Member must not be null"
                        )),
                        None => {}
                    }
                }
                Ok(Value::Object(out))
            }
            ("structure", _) => wrong_type(errors, "a structure"),
            ("list", Value::Array(items)) => {
                let member = shape.member.as_ref().ok_or_else(|| ApiError::internal("list without member"))?;
                self.check_count(shape, items.len(), path, errors);
                let limit = shape.max.map_or(usize::MAX, |max| (max.max(0.0) as usize).saturating_add(1));
                let mut out = Vec::with_capacity(items.len().min(limit));
                for (i, item) in items.iter().take(limit).enumerate() {
                    out.push(self.decode_json_shape(
                        &member.shape,
                        item,
                        errors,
                        &format!("{path}.{}", i + 1),
                        depth + 1,
                    )?);
                }
                Ok(Value::Array(out))
            }
            ("list", _) => wrong_type(errors, "a list"),
            ("map", Value::Object(object)) => {
                let value_shape = shape.value.as_ref().ok_or_else(|| ApiError::internal("map without value"))?;
                self.check_count(shape, object.len(), path, errors);
                let mut out = Map::new();
                for (k, v) in object {
                    out.insert(k.clone(), self.decode_json_shape(&value_shape.shape, v, errors, path, depth + 1)?);
                }
                Ok(Value::Object(out))
            }
            ("map", _) => wrong_type(errors, "a map"),
            ("boolean", Value::Bool(b)) => Ok(Value::Bool(*b)),
            ("boolean", _) => wrong_type(errors, "a boolean"),
            ("integer" | "long", Value::Number(n)) if n.is_i64() => {
                Ok(self.decode_scalar(&shape.kind, shape, &n.to_string(), path, errors))
            }
            ("integer" | "long", _) => wrong_type(errors, "a number"),
            ("timestamp" | "double" | "float", Value::Number(n)) => Ok(Value::Number(n.clone())),
            ("timestamp" | "double" | "float", _) => wrong_type(errors, "a number"),
            (kind, Value::String(text)) => Ok(self.decode_scalar(kind, shape, text, path, errors)),
            _ => wrong_type(errors, "a string"),
        }
    }

    /// The output of `operation` as JSON, every member checked against its output shape: a
    /// handler that returns a member the model does not have is a bug, reported as such.
    pub fn encode_json(&self, operation: &Operation, output: &Value) -> Result<String, ApiError> {
        if let Some(shape) = &operation.output {
            self.check_output(shape, output, 0)?;
        }
        Ok(output.to_string())
    }

    fn check_output(&self, shape_name: &str, value: &Value, depth: usize) -> Result<(), ApiError> {
        let shape = self.shape(shape_name)?;
        let unexpected = || ApiError::internal(format!("the output does not fit the model's `{shape_name}`"));
        if depth > MAX_DEPTH {
            return Err(unexpected());
        }
        match (shape.kind.as_str(), value) {
            ("structure", Value::Object(object)) => {
                for (name, v) in object {
                    let member = shape.members.iter().find(|m| &m.name == name).ok_or_else(unexpected)?;
                    self.check_output(&member.shape, v, depth + 1)?;
                }
                Ok(())
            }
            ("list", Value::Array(items)) => {
                let member = shape.member.as_ref().ok_or_else(unexpected)?;
                items.iter().try_for_each(|item| self.check_output(&member.shape, item, depth + 1))
            }
            ("map", Value::Object(object)) => {
                let value_shape = shape.value.as_ref().ok_or_else(unexpected)?;
                object.values().try_for_each(|v| self.check_output(&value_shape.shape, v, depth + 1))
            }
            ("boolean", Value::Bool(_))
            | ("integer" | "long" | "timestamp" | "double" | "float", Value::Number(_))
            | ("string" | "blob", Value::String(_)) => Ok(()),
            _ => Err(unexpected()),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::protocol::model;

    fn decode(operation: &str, body: &str) -> Result<serde_json::Value, crate::error::ApiError> {
        let service = model::service("organizations").unwrap();
        service.decode_json(service.operations.get(operation).unwrap(), body.as_bytes())
    }

    #[test]
    fn inputs_are_checked_against_the_model() {
        let ok = decode("CreateOrganizationalUnit", r#"{"ParentId": "r-abcd", "Name": "prod", "Unknown": 1}"#).unwrap();
        assert_eq!(ok, serde_json::json!({"ParentId": "r-abcd", "Name": "prod"}));
        let missing = decode("CreateOrganizationalUnit", r#"{"Name": "prod"}"#).unwrap_err();
        assert!(missing.message.contains("Value null at 'parentId'"), "{}", missing.message);
        let pattern = decode("CreateOrganizationalUnit", r#"{"ParentId": "x", "Name": "prod"}"#).unwrap_err();
        assert!(pattern.message.contains("regular expression pattern"), "{}", pattern.message);
        let not_json = decode("ListRoots", "{").unwrap_err();
        assert_eq!(not_json.code, "SerializationException");
        let wrong_type = decode("ListRoots", r#"{"MaxResults": "ten"}"#).unwrap_err();
        assert!(wrong_type.message.contains("must be a number"), "{}", wrong_type.message);
        assert!(decode("ListRoots", "").is_ok());
    }

    #[test]
    fn many_bad_items_give_a_short_answer() {
        let keys: Vec<String> = (0..20_000).map(|_| format!("{:0>200}", "")).collect();
        let body = serde_json::json!({"ResourceId": "r-abcd", "TagKeys": keys}).to_string();
        let refused = decode("UntagResource", &body).unwrap_err();
        assert!(refused.message.len() < 8 * 1024, "{} bytes", refused.message.len());
        assert!(refused.message.starts_with("10 validation errors detected"), "{}", &refused.message[..80]);
    }

    #[test]
    fn deep_documents_are_refused_before_they_are_walked() {
        let deep = format!("{}{}", "[".repeat(100), "]".repeat(100));
        let body = format!(r#"{{"ResourceId": "r-abcd", "Tags": {deep}}}"#);
        assert!(decode("TagResource", &body).is_err());
    }
}
