//! The wire protocols, driven by botocore's models ([`model`]): the AWS Query protocol of IAM and
//! STS (parameters from the query string or form body, responses and errors as AWS's XML), and
//! the JSON 1.1 protocol of AWS Organizations ([`json`]).

use std::collections::HashMap;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

pub(crate) mod json;
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
