//! The AWS Query protocol: parameters decoded from the query string or form body, validated and
//! typed through botocore's models ([`model`]), responses and errors written as AWS's XML.

use std::collections::HashMap;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

pub mod model;

pub(crate) fn error_response(namespace: &str, request_id: &str, error: &ApiError) -> Response {
    if error.code == "ServiceFailure" {
        eprintln!("monban: request {request_id} failed: {}", error.message);
    }
    let status = StatusCode::from_u16(error.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, [("content-type", "text/xml")], error.to_xml(namespace, request_id)).into_response()
}

/// The parameters of a query string or `application/x-www-form-urlencoded` body.
pub(crate) fn form_params(bytes: &[u8]) -> HashMap<String, String> {
    form_urlencoded::parse(bytes).into_owned().collect()
}
