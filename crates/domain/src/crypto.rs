//! Cryptography behind a single trait.
//!
//! Today everything is implemented in software with the Chinese national
//! algorithms (SM3 hash, HMAC-SM3, PBKDF2-HMAC-SM3, SM4-GCM, SM2DSA
//! signature verification). A hardware
//! security module (HSM) backed implementation can later be plugged in by
//! implementing [`Crypto`] without touching callers.

use aes_gcm::aead::consts::U12;
use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{AesGcm, Nonce};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sm2::dsa::signature::Verifier as _;
use sm3::{Digest, Sm3};
use sm4::Sm4;

/// Default PBKDF2 iteration count for stored password hashes.
pub const PASSWORD_ITERATIONS: u32 = 100_000;

/// Length of the random GCM nonce prepended to every ciphertext.
pub const NONCE_LEN: usize = 12;

/// Length of the GCM authentication tag.
const TAG_LEN: usize = 16;

/// Length of the random salt used for password hashing.
const SALT_LEN: usize = 16;

/// The distinguishing identifier of SM2 signatures: the default of
/// GM/T 0009 (`1234567812345678`), which UKEY middleware uses unless told
/// otherwise.
pub const SM2_DEFAULT_ID: &str = "1234567812345678";

/// Length of an SM2 public key as a SEC1 uncompressed point (`04 || x || y`).
pub const SM2_PUBLIC_KEY_LEN: usize = 65;

/// Length of an SM2 signature as `r || s`, each 32 bytes big-endian.
pub const SM2_SIGNATURE_LEN: usize = 64;

/// Identifier of the password hash format.
const PASSWORD_SCHEME: &str = "pbkdf2-sm3";

type HmacSm3 = Hmac<Sm3>;
type Sm4Gcm = AesGcm<Sm4, U12>;

/// Errors raised by cryptographic operations.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// Ciphertext is shorter than nonce + tag.
    #[error("密文长度不足")]
    TooShort,
    /// Authentication failed: wrong key or tampered data.
    #[error("解密失败：密钥错误或数据已被篡改")]
    DecryptFailed,
    /// Stored value is not valid base64.
    #[error("密文编码无效")]
    InvalidEncoding,
    /// Decrypted bytes are not valid UTF-8.
    #[error("解密结果不是有效的文本")]
    InvalidUtf8,
}

/// Cryptographic primitives used by the platform.
pub trait Crypto: Send + Sync + 'static {
    /// SM3 digest.
    fn sm3(&self, data: &[u8]) -> [u8; 32];
    /// HMAC with SM3 as the hash function.
    fn hmac_sm3(&self, key: &[u8], data: &[u8]) -> [u8; 32];
    /// PBKDF2-HMAC-SM3
    fn pbkdf2_sm3(&self, password: &[u8], salt: &[u8], iterations: u32) -> [u8; 32];
    /// SM4-GCM with a random 12-byte nonce; output = nonce || ciphertext+tag
    fn sm4_encrypt(&self, key: &[u8; 16], plaintext: &[u8]) -> Vec<u8>;
    /// Inverse of [`Crypto::sm4_encrypt`]; fails on wrong key or tampering.
    fn sm4_decrypt(&self, key: &[u8; 16], data: &[u8]) -> Result<Vec<u8>, CryptoError>;
    /// `n` bytes from the operating system CSPRNG.
    fn random_bytes(&self, n: usize) -> Vec<u8>;
    /// SM2DSA verification (GB/T 32918.2) with SM3 and the default
    /// distinguishing identifier [`SM2_DEFAULT_ID`]: `public_key` is a SEC1
    /// uncompressed point (65 bytes, `04 || x || y`), `signature` is
    /// `r || s` (64 bytes, big-endian), `message` the signed bytes as they
    /// are (the `Z_A` prefix is computed here). Any malformed input is
    /// `false`.
    fn sm2_verify(&self, public_key: &[u8], message: &[u8], signature: &[u8]) -> bool;
}

/// Pure-software implementation of [`Crypto`].
#[derive(Debug, Clone, Copy, Default)]
pub struct SoftwareCrypto;

impl Crypto for SoftwareCrypto {
    fn sm3(&self, data: &[u8]) -> [u8; 32] {
        let mut hasher = Sm3::new();
        hasher.update(data);
        hasher.finalize().into()
    }

    fn hmac_sm3(&self, key: &[u8], data: &[u8]) -> [u8; 32] {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = <HmacSm3 as Mac>::new_from_slice(key).expect("HMAC accepts any key length");
        mac.update(data);
        mac.finalize().into_bytes().into()
    }

    fn pbkdf2_sm3(&self, password: &[u8], salt: &[u8], iterations: u32) -> [u8; 32] {
        let mut out = [0u8; 32];
        // Only fails for an invalid PRF key length, which HMAC never reports.
        pbkdf2::pbkdf2::<HmacSm3>(password, salt, iterations.max(1), &mut out)
            .expect("HMAC accepts any key length");
        out
    }

    fn sm4_encrypt(&self, key: &[u8; 16], plaintext: &[u8]) -> Vec<u8> {
        let cipher = Sm4Gcm::new(key.into());
        let nonce_bytes = self.random_bytes(NONCE_LEN);
        let nonce = Nonce::from_slice(&nonce_bytes);
        let ct = cipher
            .encrypt(nonce, plaintext)
            .expect("SM4-GCM encryption of in-memory data cannot fail");
        let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
        out.extend_from_slice(&nonce_bytes);
        out.extend_from_slice(&ct);
        out
    }

    fn sm4_decrypt(&self, key: &[u8; 16], data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if data.len() < NONCE_LEN + TAG_LEN {
            return Err(CryptoError::TooShort);
        }
        let (nonce_bytes, ct) = data.split_at(NONCE_LEN);
        let cipher = Sm4Gcm::new(key.into());
        cipher
            .decrypt(Nonce::from_slice(nonce_bytes), ct)
            .map_err(|_| CryptoError::DecryptFailed)
    }

    fn random_bytes(&self, n: usize) -> Vec<u8> {
        let mut buf = vec![0u8; n];
        getrandom::getrandom(&mut buf).expect("operating system RNG unavailable");
        buf
    }

    fn sm2_verify(&self, public_key: &[u8], message: &[u8], signature: &[u8]) -> bool {
        if !sm2_public_key_ok(public_key) || signature.len() != SM2_SIGNATURE_LEN {
            return false;
        }
        let Ok(key) = sm2::dsa::VerifyingKey::from_sec1_bytes(SM2_DEFAULT_ID, public_key) else {
            return false;
        };
        let Ok(sig) = sm2::dsa::Signature::from_slice(signature) else {
            return false;
        };
        key.verify(message, &sig).is_ok()
    }
}

/// Whether `bytes` is an SM2 public key in the accepted form: a SEC1
/// uncompressed point (`04 || x || y`, 65 bytes) on the SM2 curve, not the
/// identity.
pub fn sm2_public_key_ok(bytes: &[u8]) -> bool {
    bytes.len() == SM2_PUBLIC_KEY_LEN
        && bytes[0] == 0x04
        && sm2::PublicKey::from_sec1_bytes(bytes).is_ok()
}

/// Hex as typed or pasted from UKEY middleware: upper or lower case, with
/// spaces, line breaks or colons between the digits; `None` if anything
/// else is in it.
pub fn decode_loose_hex(text: &str) -> Option<Vec<u8>> {
    let digits: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ':')
        .collect();
    hex::decode(digits).ok()
}

/// An SM2 public key written as hex (see [`decode_loose_hex`]): 130 hex
/// digits of a SEC1 uncompressed point on the curve.
pub fn parse_sm2_public_key(text: &str) -> Option<Vec<u8>> {
    decode_loose_hex(text).filter(|b| sm2_public_key_ok(b))
}

/// Constant-time equality of two byte slices (length is not secret).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    // Avoid an early-exit comparison that the optimiser could shortcut.
    std::hint::black_box(diff) == 0
}

/// Hash a password as `pbkdf2-sm3$<iterations>$<salt hex>$<hash hex>`.
pub fn hash_password(c: &dyn Crypto, password: &str, iterations: u32) -> String {
    let iterations = iterations.max(1);
    let salt = c.random_bytes(SALT_LEN);
    let hash = c.pbkdf2_sm3(password.as_bytes(), &salt, iterations);
    format!(
        "{PASSWORD_SCHEME}${iterations}${}${}",
        hex::encode(salt),
        hex::encode(hash)
    )
}

/// Verify a password against a value produced by [`hash_password`].
/// Returns `false` for malformed stored values.
pub fn verify_password(c: &dyn Crypto, password: &str, stored: &str) -> bool {
    let mut parts = stored.split('$');
    let (Some(scheme), Some(iter), Some(salt), Some(hash), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return false;
    };
    if scheme != PASSWORD_SCHEME {
        return false;
    }
    let Ok(iterations) = iter.parse::<u32>() else {
        return false;
    };
    if iterations == 0 {
        return false;
    }
    let (Ok(salt), Ok(expected)) = (hex::decode(salt), hex::decode(hash)) else {
        return false;
    };
    if salt.is_empty() || expected.len() != 32 {
        return false;
    }
    let actual = c.pbkdf2_sm3(password.as_bytes(), &salt, iterations);
    constant_time_eq(&actual, &expected)
}

/// 32 random bytes encoded as URL-safe base64 without padding.
pub fn random_token(c: &dyn Crypto) -> String {
    URL_SAFE_NO_PAD.encode(c.random_bytes(32))
}

/// Hex SM3 digest of a token, suitable for storing instead of the token.
pub fn token_hash(c: &dyn Crypto, token: &str) -> String {
    hex::encode(c.sm3(token.as_bytes()))
}

/// Encrypt a text field with SM4-GCM; result is standard base64.
pub fn encrypt_field(c: &dyn Crypto, key: &[u8; 16], plain: &str) -> String {
    STANDARD.encode(c.sm4_encrypt(key, plain.as_bytes()))
}

/// Decrypt a value produced by [`encrypt_field`].
pub fn decrypt_field(c: &dyn Crypto, key: &[u8; 16], stored: &str) -> Result<String, CryptoError> {
    let data = STANDARD
        .decode(stored.trim())
        .map_err(|_| CryptoError::InvalidEncoding)?;
    let plain = c.sm4_decrypt(key, &data)?;
    String::from_utf8(plain).map_err(|_| CryptoError::InvalidUtf8)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 16] = *b"0123456789abcdef";

    #[test]
    fn sm3_standard_vector_abc() {
        let c = SoftwareCrypto;
        assert_eq!(
            hex::encode(c.sm3(b"abc")),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        );
    }

    #[test]
    fn hmac_sm3_deterministic_and_key_sensitive() {
        let c = SoftwareCrypto;
        let a = c.hmac_sm3(b"key-1", b"message");
        assert_eq!(a, c.hmac_sm3(b"key-1", b"message"));
        assert_ne!(a, c.hmac_sm3(b"key-2", b"message"));
        assert_ne!(a, c.hmac_sm3(b"key-1", b"message!"));
        assert_ne!(a, c.sm3(b"message"));
    }

    #[test]
    fn pbkdf2_deterministic_and_parameter_sensitive() {
        let c = SoftwareCrypto;
        let a = c.pbkdf2_sm3(b"pw", b"salt", 10);
        assert_eq!(a, c.pbkdf2_sm3(b"pw", b"salt", 10));
        assert_ne!(a, c.pbkdf2_sm3(b"pw", b"salt", 11));
        assert_ne!(a, c.pbkdf2_sm3(b"pw", b"salz", 10));
        assert_ne!(a, c.pbkdf2_sm3(b"pX", b"salt", 10));
    }

    #[test]
    fn password_hash_round_trip() {
        let c = SoftwareCrypto;
        let stored = hash_password(&c, "Yw#7kP!q2Lm9", 1_000);
        assert!(stored.starts_with("pbkdf2-sm3$1000$"));
        let parts: Vec<&str> = stored.split('$').collect();
        assert_eq!(parts.len(), 4);
        assert_eq!(parts[2].len(), 32);
        assert_eq!(parts[3].len(), 64);
        assert!(verify_password(&c, "Yw#7kP!q2Lm9", &stored));
        assert!(!verify_password(&c, "Yw#7kP!q2Lm8", &stored));
        assert!(!verify_password(&c, "", &stored));
        // Same password hashed twice gets different salts.
        assert_ne!(stored, hash_password(&c, "Yw#7kP!q2Lm9", 1_000));
    }

    #[test]
    fn verify_password_rejects_malformed() {
        let c = SoftwareCrypto;
        for bad in [
            "",
            "pbkdf2-sm3",
            "pbkdf2-sm3$abc$00$00",
            "pbkdf2-sm3$0$00112233$00",
            "md5$1000$0011$0011",
            "pbkdf2-sm3$10$zz$zz",
            "pbkdf2-sm3$10$0011$0011",
        ] {
            assert!(!verify_password(&c, "x", bad), "{bad}");
        }
        let stored = hash_password(&c, "x", 10);
        assert!(!verify_password(&c, "x", &format!("{stored}$extra")));
    }

    #[test]
    fn sm4_round_trip() {
        let c = SoftwareCrypto;
        let ct = c.sm4_encrypt(&KEY, b"hello sm4");
        assert_eq!(ct.len(), NONCE_LEN + 9 + TAG_LEN);
        assert_eq!(c.sm4_decrypt(&KEY, &ct).unwrap(), b"hello sm4");
        let empty = c.sm4_encrypt(&KEY, b"");
        assert_eq!(c.sm4_decrypt(&KEY, &empty).unwrap(), b"");
    }

    #[test]
    fn sm4_rejects_tampering_and_wrong_key() {
        let c = SoftwareCrypto;
        let ct = c.sm4_encrypt(&KEY, b"secret data");
        for i in 0..ct.len() {
            let mut bad = ct.clone();
            bad[i] ^= 0x01;
            assert!(c.sm4_decrypt(&KEY, &bad).is_err(), "byte {i}");
        }
        let other = *b"fedcba9876543210";
        assert!(matches!(
            c.sm4_decrypt(&other, &ct),
            Err(CryptoError::DecryptFailed)
        ));
        assert!(matches!(
            c.sm4_decrypt(&KEY, &ct[..20]),
            Err(CryptoError::TooShort)
        ));
    }

    #[test]
    fn sm4_same_plaintext_encrypts_differently() {
        let c = SoftwareCrypto;
        assert_ne!(c.sm4_encrypt(&KEY, b"same"), c.sm4_encrypt(&KEY, b"same"));
    }

    #[test]
    fn field_encryption_round_trip() {
        let c = SoftwareCrypto;
        let stored = encrypt_field(&c, &KEY, "320102199001011234 张伟");
        assert_eq!(
            decrypt_field(&c, &KEY, &stored).unwrap(),
            "320102199001011234 张伟"
        );
        assert!(matches!(
            decrypt_field(&c, &KEY, "not base64!!"),
            Err(CryptoError::InvalidEncoding)
        ));
    }

    #[test]
    fn tokens_are_random_and_hashable() {
        let c = SoftwareCrypto;
        let t1 = random_token(&c);
        let t2 = random_token(&c);
        assert_eq!(t1.len(), 43);
        assert_ne!(t1, t2);
        assert!(t1
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_'));
        let h = token_hash(&c, &t1);
        assert_eq!(h.len(), 64);
        assert_eq!(h, token_hash(&c, &t1));
        assert_ne!(h, token_hash(&c, &t2));
        assert_eq!(
            token_hash(&c, "abc"),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        );
    }

    /// A private key for the tests below (any scalar below the order).
    fn sm2_test_key(seed: u8) -> sm2::dsa::SigningKey {
        let mut d = [seed; 32];
        d[0] = 0x01;
        sm2::dsa::SigningKey::from_slice(SM2_DEFAULT_ID, &d).unwrap()
    }

    fn sm2_public(k: &sm2::dsa::SigningKey) -> Vec<u8> {
        use sm2::elliptic_curve::sec1::ToEncodedPoint as _;
        k.verifying_key()
            .to_encoded_point(false)
            .as_bytes()
            .to_vec()
    }

    #[test]
    fn sm2_crypto_verifies_a_signature_made_with_the_key() {
        use sm2::dsa::signature::Signer as _;
        let c = SoftwareCrypto;
        let key = sm2_test_key(7);
        let public = sm2_public(&key);
        assert_eq!(public.len(), SM2_PUBLIC_KEY_LEN);
        let message = b"yunwei-login:sysadmin:00112233445566778899aabbccddeeff";
        let sig: sm2::dsa::Signature = key.sign(message);
        let sig = sig.to_bytes();
        assert!(c.sm2_verify(&public, message, &sig));
        // A tampered message, signature or another key is refused.
        let mut other = message.to_vec();
        other[13] ^= 0x01;
        assert!(!c.sm2_verify(&public, &other, &sig));
        for i in [0, 31, 32, 63] {
            let mut bad = sig;
            bad[i] ^= 0x01;
            assert!(!c.sm2_verify(&public, message, &bad), "byte {i}");
        }
        assert!(!c.sm2_verify(&sm2_public(&sm2_test_key(8)), message, &sig));
        // Wrong shapes are refused, not a panic.
        assert!(!c.sm2_verify(&public, message, &sig[..63]));
        assert!(!c.sm2_verify(&public, message, &[0u8; 64]));
        assert!(!c.sm2_verify(&public[1..], message, &sig));
        assert!(!c.sm2_verify(&[], message, &sig));
    }

    /// A signature made by OpenSSL 3 (`pkeyutl -sign -rawin -digest sm3
    /// -pkeyopt distid:1234567812345678`), so the identifier, the `Z_A`
    /// prefix and the `r || s` layout agree with another implementation.
    #[test]
    fn sm2_crypto_verifies_an_openssl_signature() {
        let c = SoftwareCrypto;
        let public = parse_sm2_public_key(
            "04f72f33bed7f0b4c10f4cb7a38370356d00b737f207434bbd36cb32c646fcba70\
             3004390e5c9fab59af2ce80cadb1b0678d5e9fb0dc7869dcf48ebcc71a63fadd",
        )
        .unwrap();
        let sig = hex::decode(
            "2f6df72b5d4c0d4f72a6f7e6419d0bef34db3d3c9889a42af2162dd477a7bc4d\
             9cff5e1a8a73dd26d5c0a844087ba92936012855128dde037f142eb7ae7403a0",
        )
        .unwrap();
        let message = b"yunwei-login:sysadmin:0123456789abcdef";
        assert!(c.sm2_verify(&public, message, &sig));
        assert!(!c.sm2_verify(&public, b"yunwei-login:sysadmin:0123456789abcdeF", &sig));
    }

    #[test]
    fn sm2_public_keys_are_parsed_strictly() {
        let public = hex::encode(sm2_public(&sm2_test_key(9)));
        assert!(parse_sm2_public_key(&public).is_some());
        // Upper case, spaces, line breaks and colons are what middleware prints.
        let spaced: String = public
            .to_uppercase()
            .as_bytes()
            .chunks(2)
            .map(|p| std::str::from_utf8(p).unwrap())
            .collect::<Vec<_>>()
            .join(":");
        assert!(parse_sm2_public_key(&spaced).is_some());
        assert!(parse_sm2_public_key(&format!(" {public}\n")).is_some());
        // Compressed form, missing prefix, point off the curve, not hex.
        let mut off = hex::decode(&public).unwrap();
        off[64] ^= 0x01;
        for bad in [
            String::new(),
            public[2..].to_string(),
            format!("02{}", &public[2..66]),
            hex::encode(off),
            format!("{public}00"),
            "04zz".to_string(),
        ] {
            assert!(parse_sm2_public_key(&bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn constant_time_eq_works() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
