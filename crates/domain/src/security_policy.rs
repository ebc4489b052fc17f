//! The security administrator's policy. Defaults follow the regulations and
//! 等保 level 3; every setting has a floor that cannot be weakened
//! (`JSCZ-43`, `JSCZ-41`, `EEDS-3.8.6`).

use serde::{Deserialize, Serialize};

use crate::AppError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SecurityPolicy {
    /// Minimum password length (`JSCZ-43`: not less than 8).
    pub password_min_length: u32,
    /// Passwords remembered and refused again.
    pub password_history: u32,
    /// Consecutive failures before the account locks.
    pub lockout_threshold: u32,
    /// How long a locked account stays locked.
    pub lockout_minutes: u32,
    /// Idle sessions end after this many minutes.
    pub idle_timeout_minutes: u32,
    /// Audit records younger than this are never deleted (`JSCZ-41`: >= 12 months).
    pub audit_retention_days: u32,
    /// Longest lifetime of an integration API token.
    pub api_token_max_days: u32,
    /// Administrators act as administrators only while they hold a UKEY in
    /// use (`JSCZ-53`, 等保 L3 two factors).
    #[serde(default)]
    pub require_ukey_for_admins: bool,
}

impl Default for SecurityPolicy {
    fn default() -> Self {
        Self {
            password_min_length: 8,
            password_history: 5,
            lockout_threshold: 5,
            lockout_minutes: 30,
            idle_timeout_minutes: 30,
            audit_retention_days: 365,
            api_token_max_days: 365,
            require_ukey_for_admins: false,
        }
    }
}

impl SecurityPolicy {
    /// Refuses any setting weaker than the regulation's floor.
    pub fn validate(&self) -> Result<(), AppError> {
        let fail = |m: &str| Err(AppError::bad_request("policy.below_floor", m.to_string()));
        if self.password_min_length < 8 || self.password_min_length > 64 {
            return fail("密码最小长度须在8到64位之间（JSCZ-43）");
        }
        if self.password_history < 5 || self.password_history > 24 {
            return fail("密码历史须记录5到24次（不得少于5次）");
        }
        if self.lockout_threshold == 0 || self.lockout_threshold > 5 {
            return fail("连续登录失败锁定次数须在1到5次之间");
        }
        if self.lockout_minutes < 30 || self.lockout_minutes > 24 * 60 {
            return fail("锁定时长须在30分钟到24小时之间");
        }
        if self.idle_timeout_minutes == 0 || self.idle_timeout_minutes > 30 {
            return fail("会话空闲超时须在1到30分钟之间");
        }
        if self.audit_retention_days < 365 {
            return fail("审计记录保存期不得少于365天（JSCZ-41）");
        }
        if self.api_token_max_days == 0 || self.api_token_max_days > 365 {
            return fail("接口令牌有效期须在1到365天之间");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_meet_the_floors() {
        SecurityPolicy::default().validate().unwrap();
    }

    #[test]
    fn jscz_43_floors_cannot_be_weakened() {
        let weaker = [
            SecurityPolicy {
                password_min_length: 6,
                ..Default::default()
            },
            SecurityPolicy {
                password_history: 3,
                ..Default::default()
            },
            SecurityPolicy {
                lockout_threshold: 10,
                ..Default::default()
            },
            SecurityPolicy {
                lockout_minutes: 5,
                ..Default::default()
            },
            SecurityPolicy {
                idle_timeout_minutes: 120,
                ..Default::default()
            },
            SecurityPolicy {
                audit_retention_days: 180,
                ..Default::default()
            },
        ];
        for p in weaker {
            assert_eq!(
                p.validate().unwrap_err().code,
                "policy.below_floor",
                "{p:?}"
            );
        }
        let stricter = SecurityPolicy {
            password_min_length: 12,
            lockout_threshold: 3,
            idle_timeout_minutes: 15,
            ..Default::default()
        };
        stricter.validate().unwrap();
    }
}
