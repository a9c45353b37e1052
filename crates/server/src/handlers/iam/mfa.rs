//! Virtual MFA devices and the codes they show, so that policies conditioned on
//! `aws:MultiFactorAuthPresent` and `aws:MultiFactorAuthAge` can be tried in the sandbox
//! (IAM User Guide, "Assign a virtual MFA device" and "Configuring MFA-protected API access").
//!
//! A device is a TOTP seed (RFC 6238: HMAC-SHA1, 30-second steps, six digits), kept encrypted like
//! secret access keys. Each code is accepted at most once per device: the store remembers the
//! newest time step used.

use base64::Engine as _;
use monban_store::{MfaDevice, Principal, PrincipalKind};
use serde_json::{json, Value};

use crate::auth::{Authorization, Identity};
use crate::error::ApiError;
use crate::handlers::iam::{self, on_principal, optional, text, user_name_or_caller};
use crate::{util, Call};

/// The TOTP time step (RFC 6238's default, and what authenticator apps use).
const STEP_SECONDS: u64 = 30;

/// How many steps back EnableMFADevice looks for its two consecutive codes: a user may take a
/// while to type them.
const ENABLE_WINDOW_STEPS: u64 = 10;

/// How many steps either way ResyncMFADevice looks for its two codes: a device whose clock has
/// drifted by up to ten minutes.
const RESYNC_WINDOW_STEPS: u64 = 20;

/// Seed length in bytes; 40 bytes are the 64 base32 characters AWS's seeds have.
const SEED_BYTES: usize = 40;

/// Whether `given` is the six-digit code of time step `step` (RFC 6238: HMAC-SHA1).
fn is_code(seed: &[u8], step: u64, given: &str) -> bool {
    given.len() == 6 && totp_lite::totp_custom::<totp_lite::Sha1>(STEP_SECONDS, 6, seed, step * STEP_SECONDS) == given
}

/// RFC 4648 base32 without padding (the form of `Base32StringSeed`).
fn base32_encode(bytes: &[u8]) -> String {
    data_encoding::BASE32_NOPAD.encode(bytes)
}

fn base32_decode(text: &str) -> Option<Vec<u8>> {
    data_encoding::BASE32_NOPAD.decode(text.trim_end_matches('=').as_bytes()).ok()
}

/// Pixels per QR module and the quiet zone around the code, in modules (ISO/IEC 18004 asks for 4).
const QR_SCALE: usize = 6;
const QR_QUIET_MODULES: usize = 4;

/// `QRCodePNG`: a PNG of the `otpauth://totp/NAME@ACCOUNT?secret=SEED` URI an authenticator app
/// scans (IAM API reference, VirtualMFADevice: "the virtual MFA device's QR code ... in the format
/// otpauth://totp/$virtualMFADeviceName@$AccountName?secret=$Base32String").
fn qr_png(uri: &str) -> Result<Vec<u8>, ApiError> {
    let code = qrcode::QrCode::new(uri.as_bytes()).map_err(|e| ApiError::internal(format!("QR code: {e}")))?;
    let modules = code.width();
    let side = (modules + 2 * QR_QUIET_MODULES) * QR_SCALE;
    let colors = code.to_colors();
    let mut pixels = vec![255u8; side * side];
    for (i, color) in colors.iter().enumerate() {
        if *color == qrcode::Color::Dark {
            let (x, y) = ((i % modules + QR_QUIET_MODULES) * QR_SCALE, (i / modules + QR_QUIET_MODULES) * QR_SCALE);
            for row in y..y + QR_SCALE {
                pixels[row * side + x..row * side + x + QR_SCALE].fill(0);
            }
        }
    }
    let mut png = Vec::new();
    let side = u32::try_from(side).map_err(|_| ApiError::internal("QR code too large"))?;
    let mut encoder = png::Encoder::new(&mut png, side, side);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let png_error = |e: png::EncodingError| ApiError::internal(format!("PNG: {e}"));
    let mut writer = encoder.write_header().map_err(png_error)?;
    writer.write_image_data(&pixels).map_err(png_error)?;
    writer.finish().map_err(png_error)?;
    Ok(png)
}

/// The current time step.
fn current_step(call: &Call<'_>) -> u64 {
    call.context.now.duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs()) / STEP_SECONDS
}

/// A device's seed, decrypted.
fn seed_of(call: &Call<'_>, device: &MfaDevice) -> Result<Vec<u8>, ApiError> {
    let text = call.state.secrets.open(&device.seed)?;
    base32_decode(&text).ok_or_else(|| ApiError::internal("stored MFA seed is not base32"))
}

fn no_such_device(serial: &str) -> ApiError {
    ApiError::no_such_entity(format!("VirtualMFADevice with serial number {serial} doesn't exist."))
}

/// A device of the caller's account by serial number.
pub(crate) async fn device(call: &Call<'_>, serial: &str) -> Result<MfaDevice, ApiError> {
    let device = call.state.store.mfa_device(serial).await?;
    device.filter(|d| d.account_id == call.account()).ok_or_else(|| no_such_device(serial))
}

pub(crate) async fn create(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let name = text(input, "VirtualMFADeviceName");
    let path = optional(input, "Path").unwrap_or("/");
    let serial = call.iam_arn(&format!("mfa{path}{name}"));
    let tags = iam::tags(input);
    iam::check_tags(&tags)?;
    call.authorize(Authorization::new("iam:CreateVirtualMFADevice", &serial).with_request_tags(&tags)).await?;
    let seed = base32_encode(&util::random_bytes::<SEED_BYTES>()?);
    let device = MfaDevice {
        serial: serial.clone(),
        account_id: call.account().into(),
        name: name.into(),
        path: path.into(),
        seed: call.state.secrets.seal(&seed)?,
        created: call.now(),
        user_name: None,
        enabled: None,
        drift_steps: 0,
    };
    call.state.store.create_mfa_device(&device, &tags).await?;
    // `Base32StringSeed` and `QRCodePNG` are blobs: their bytes travel base64-encoded.
    let base64 = base64::engine::general_purpose::STANDARD;
    let account = call.state.store.account_alias(call.account()).await?.unwrap_or_else(|| call.account().to_string());
    let qr = qr_png(&format!("otpauth://totp/{name}@{account}?secret={seed}"))?;
    Ok(json!({"VirtualMFADevice": {"SerialNumber": serial, "Base32StringSeed": base64.encode(&seed),
        "QRCodePNG": base64.encode(qr)}}))
}

/// EnableMFADevice: two consecutive codes prove the user holds the seed (IAM API reference).
pub(crate) async fn enable(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let user = text(input, "UserName");
    let serial = text(input, "SerialNumber");
    let existing = on_principal(call, PrincipalKind::User, user, "iam:EnableMFADevice", |a| a).await?;
    let user = existing.ok_or_else(|| iam::not_found(PrincipalKind::User, user))?;
    let device = device(call, serial).await?;
    if device.user_name.is_some() {
        return Err(ApiError::already_exists("MFA Device is already in use."));
    }
    let seed = seed_of(call, &device)?;
    let (first, second) = (text(input, "AuthenticationCode1"), text(input, "AuthenticationCode2"));
    let now = current_step(call);
    let mut matched = None;
    for step in (now.saturating_sub(ENABLE_WINDOW_STEPS)..=now).rev() {
        if is_code(&seed, step, first) && is_code(&seed, step + 1, second) {
            matched = Some(step + 1);
            break;
        }
    }
    let Some(last) = matched else {
        return Err(ApiError::invalid_authentication_code("Authentication code for device is not valid."));
    };
    call.state.store.enable_mfa_device(call.account(), &user.name, serial, &call.now(), last as i64).await?;
    Ok(json!({}))
}

/// ResyncMFADevice: two consecutive codes from a device whose clock has drifted bring the server
/// back in step with it: the drift is kept and later codes are checked around the device's time;
/// the codes count as used (IAM API reference).
pub(crate) async fn resync(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let user = text(input, "UserName");
    let serial = text(input, "SerialNumber");
    let existing = on_principal(call, PrincipalKind::User, user, "iam:ResyncMFADevice", |a| a).await?;
    let user = existing.ok_or_else(|| iam::not_found(PrincipalKind::User, user))?;
    let device = device(call, serial).await?;
    if device.user_name.as_deref() != Some(user.name.as_str()) {
        return Err(ApiError::no_such_entity(format!("MFA Device with serial number {serial} does not exist.")));
    }
    let seed = seed_of(call, &device)?;
    let (first, second) = (text(input, "AuthenticationCode1"), text(input, "AuthenticationCode2"));
    let now = current_step(call);
    let window = now.saturating_sub(RESYNC_WINDOW_STEPS)..=now + RESYNC_WINDOW_STEPS;
    let matched = window.into_iter().find(|step| is_code(&seed, *step, first) && is_code(&seed, step + 1, second));
    let Some(step) = matched else {
        return Err(ApiError::invalid_authentication_code("Authentication code for device is not valid."));
    };
    // The device's clock is where its second code says; later codes are checked around it. The
    // codes are spent, as any accepted code: a replayed pair fails.
    let drift = (step + 1) as i64 - now as i64;
    if !call.state.store.resync_mfa_device(serial, drift, (step + 1) as i64).await? {
        return Err(ApiError::invalid_authentication_code("Authentication code for device is not valid."));
    }
    Ok(json!({}))
}

pub(crate) async fn deactivate(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let serial = text(input, "SerialNumber");
    let device = device(call, serial).await?;
    // Without UserName, the user the device is assigned to (IAM API reference, DeactivateMFADevice).
    let user = match optional(input, "UserName") {
        Some(name) => name.to_string(),
        None => device.user_name.clone().ok_or_else(|| no_such_device(serial))?,
    };
    let existing = on_principal(call, PrincipalKind::User, &user, "iam:DeactivateMFADevice", |a| a).await?;
    existing.ok_or_else(|| iam::not_found(PrincipalKind::User, &user))?;
    call.state.store.deactivate_mfa_device(call.account(), &user, serial).await?;
    Ok(json!({}))
}

pub(crate) async fn delete(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let serial = text(input, "SerialNumber");
    call.authorize(Authorization::new("iam:DeleteVirtualMFADevice", serial)).await?;
    call.state.store.delete_mfa_device(call.account(), serial).await?;
    Ok(json!({}))
}

/// GetMFADevice: a device assigned to a user, authorized on that user (the named one, or the
/// caller) before the device is looked up, so that a serial number tells a caller nothing it may
/// not know.
pub(crate) async fn get(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let serial = text(input, "SerialNumber");
    let user = user_name_or_caller(call, input)?;
    let existing = on_principal(call, PrincipalKind::User, &user, "iam:GetMFADevice", |a| a).await?;
    let user = existing.ok_or_else(|| iam::not_found(PrincipalKind::User, &user))?;
    let missing = || ApiError::no_such_entity(format!("MFA Device with serial number {serial} does not exist."));
    let found = device(call, serial).await.ok();
    let device = found.filter(|d| d.user_name.as_deref() == Some(user.name.as_str())).ok_or_else(missing)?;
    Ok(json!({"UserName": user.name, "SerialNumber": device.serial, "EnableDate": device.enabled}))
}

pub(crate) async fn list_for_user(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let user = user_name_or_caller(call, input)?;
    let existing = on_principal(call, PrincipalKind::User, &user, "iam:ListMFADevices", |a| a).await?;
    let user = existing.ok_or_else(|| iam::not_found(PrincipalKind::User, &user))?;
    let devices = call.state.store.user_mfa_devices(call.account(), &user.name).await?;
    let items = devices
        .iter()
        .map(|d| json!({"UserName": user.name, "SerialNumber": d.serial, "EnableDate": d.enabled}))
        .collect();
    Ok(iam::paginate(input, items, "MFADevices"))
}

pub(crate) async fn list_virtual(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    call.authorize(Authorization::new("iam:ListVirtualMFADevices", "*")).await?;
    let assigned = match optional(input, "AssignmentStatus") {
        Some("Assigned") => Some(true),
        Some("Unassigned") => Some(false),
        _ => None,
    };
    let mut items = Vec::new();
    for d in call.state.store.mfa_devices(call.account(), assigned).await? {
        let mut item = json!({"SerialNumber": d.serial});
        if let (Some(name), Some(enabled)) = (&d.user_name, &d.enabled) {
            let user: Option<Principal> = call.state.store.principal(call.account(), PrincipalKind::User, name).await?;
            if let Some(user) = user {
                item["User"] = iam::principal_json(&user, None);
            }
            item["EnableDate"] = Value::String(enabled.clone());
        }
        items.push(item);
    }
    Ok(iam::paginate(input, items, "VirtualMFADevices"))
}

/// Checks the `SerialNumber` and `TokenCode` an STS call passed: the device must be assigned to the
/// calling user and the code current and unused. AWS answers a failure with AccessDenied.
pub(crate) async fn authenticate(call: &Call<'_>, serial: &str, token: &str) -> Result<(), ApiError> {
    let failed = || ApiError::access_denied("MultiFactorAuthentication failed with invalid MFA one time pass code.");
    let Identity::User { user, .. } = call.identity() else { return Err(failed()) };
    let device = device(call, serial).await.map_err(|_| failed())?;
    if device.user_name.as_deref() != Some(&user.name) {
        return Err(failed());
    }
    let seed = seed_of(call, &device)?;
    // The device's time: the server's plus the drift ResyncMFADevice measured.
    let now = current_step(call).saturating_add_signed(device.drift_steps);
    // One step of clock drift either way, as authenticator apps are allowed.
    for step in now.saturating_sub(1)..=now + 1 {
        if is_code(&seed, step, token) {
            return if call.state.store.spend_mfa_step(serial, step as i64).await? { Ok(()) } else { Err(failed()) };
        }
    }
    Err(failed())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1 seed "12345678901234567890": the last six digits of its codes.
    #[test]
    fn codes_match_the_rfc_6238_test_vectors() {
        let seed = b"12345678901234567890";
        for (time, expected) in [
            (59u64, 287_082u32),
            (1_111_111_109, 81_804),
            (1_111_111_111, 50_471),
            (1_234_567_890, 5_924),
            (2_000_000_000, 279_037),
        ] {
            assert!(is_code(seed, time / STEP_SECONDS, &format!("{expected:06}")), "T = {time}");
            assert!(!is_code(seed, time / STEP_SECONDS + 1, &format!("{expected:06}")), "T = {time} + 30");
        }
    }

    /// The PNG decodes (png crate) to a QR code that a QR reader (rqrr) reads back as the URI.
    #[test]
    fn the_qr_code_png_reads_back_as_the_otpauth_uri() {
        let uri = "otpauth://totp/alice-mfa@123456789012?secret=MZXW6YTBOI";
        let png = qr_png(uri).unwrap();
        let mut reader = png::Decoder::new(png.as_slice()).read_info().unwrap();
        let mut pixels = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut pixels).unwrap();
        let (w, h) = (info.width as usize, info.height as usize);
        let mut image = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| pixels[y * w + x]);
        let grids = image.detect_grids();
        assert_eq!(grids.len(), 1);
        let (_, content) = grids[0].decode().unwrap();
        assert_eq!(content, uri);
    }

    #[test]
    fn base32_round_trips_and_matches_rfc_4648() {
        assert_eq!(base32_encode(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32_decode("MZXW6YTBOI======").unwrap(), b"foobar");
        let seed: Vec<u8> = (0..40).collect();
        assert_eq!(base32_encode(&seed).len(), 64);
        assert_eq!(base32_decode(&base32_encode(&seed)).unwrap(), seed);
        assert!(base32_decode("not base32!").is_none());
    }
}
