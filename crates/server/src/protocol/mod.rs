//! The wire protocols, driven by botocore's models ([`model`]): the AWS Query protocol of IAM and
//! STS (parameters from the query string or form body, responses and errors as AWS's XML), and
//! the JSON 1.1 protocol of AWS Organizations ([`json`]).

use std::collections::HashMap;

use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

pub(crate) mod json;
pub mod model;

/// The content type of every Query answer and error, as constants: a header given as text is
/// parsed again on every answer.
pub(crate) const XML: [(HeaderName, HeaderValue); 1] = [(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"))];

pub(crate) fn error_response(namespace: &str, request_id: &str, error: &ApiError) -> Response {
    if error.code == "ServiceFailure" {
        eprintln!("monban: request {request_id} failed: {}", error.message);
    }
    let status = StatusCode::from_u16(error.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, XML, error.to_xml(namespace, request_id)).into_response()
}

/// The parameters of a query string or `application/x-www-form-urlencoded` body.
pub(crate) fn form_params(bytes: &[u8]) -> HashMap<String, String> {
    form_urlencoded::parse(bytes).into_owned().collect()
}
