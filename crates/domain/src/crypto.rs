//! Cryptography behind a single trait.
//!
//! Today everything is implemented in software with the Chinese national
//! algorithms (SM3 hash, HMAC-SM3, PBKDF2-HMAC-SM3, SM4-GCM). A hardware
//! security module (HSM) backed implementation can later be plugged in by
//! implementing [`Crypto`] without touching callers.

use aes_gcm::aead::consts::U12;
use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{AesGcm, Nonce};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use hmac::{Hmac, Mac};
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

    #[test]
    fn constant_time_eq_works() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
