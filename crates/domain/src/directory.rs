//! The directory (LDAP / Active Directory) login's configuration
//! (`[ldap]` in `yunwei.toml`, ADR 0021) and its checks. No IO: the client
//! is `core::features::directory`.

use serde::{Deserialize, Serialize};

use crate::roles::Role;

/// `[ldap]`: where the directory is, how to find a user and what their
/// groups give them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectoryConfig {
    /// `ldaps://host:636` or `ldap://host:389` (with `starttls = true`, or
    /// `allow_plain = true` to send passwords unencrypted).
    pub url: String,
    #[serde(default)]
    pub starttls: bool,
    /// Allows `ldap://` without StartTLS. Only for a directory on the same
    /// host or a protected segment; never the default.
    #[serde(default)]
    pub allow_plain: bool,
    /// PEM file of the CA(s) that issued the directory's certificate; the
    /// system's roots when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<std::path::PathBuf>,
    /// The service account that searches the directory.
    pub bind_dn: String,
    /// Its password; better given as `YUNWEI_LDAP_BIND_PASSWORD`.
    #[serde(default)]
    pub bind_password: String,
    /// Where users are searched (subtree).
    pub base_dn: String,
    /// The filter that finds one user; `{username}` is replaced by the
    /// escaped login name. AD: `(sAMAccountName={username})`.
    #[serde(default = "default_user_filter")]
    pub user_filter: String,
    /// A user entry that also matches this filter is disabled and cannot
    /// log in. AD: `(userAccountControl:1.2.840.113556.1.4.803:=2)`;
    /// OpenLDAP with ppolicy: `(pwdAccountLockedTime=*)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_filter: Option<String>,
    /// Where groups are searched; `base_dn` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_base_dn: Option<String>,
    /// The filter of a user's groups; `{dn}` is the user's escaped DN.
    /// AD: `(member:1.2.840.113556.1.4.1941:={dn})` for nested groups.
    #[serde(default = "default_group_filter")]
    pub group_filter: String,
    #[serde(default = "default_display_name_attr")]
    pub display_name_attr: String,
    #[serde(default = "default_phone_attr")]
    pub phone_attr: String,
    /// The attribute naming the user's organisation (its value is an
    /// organisation's name on the platform, or a key of `org_map`).
    #[serde(default = "default_org_attr")]
    pub org_attr: String,
    /// The organisation of a user whose `org_attr` names none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_org: Option<String>,
    /// Seconds to connect and to wait for each answer.
    #[serde(default = "default_timeout")]
    pub timeout_seconds: u64,
    /// Directory values of `org_attr` -> organisation names on the platform.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub org_map: std::collections::BTreeMap<String, String>,
    /// Directory groups -> roles within an organisation's scope.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub role_map: Vec<RoleMapping>,
}

/// One `[[ldap.role_map]]`: members of `group` get `role` on `org`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleMapping {
    /// The group's DN (compared case-insensitively).
    pub group: String,
    /// The organisation's name on the platform.
    pub org: String,
    /// The role's key (`business_staff`, `hardware_ops`, ...).
    pub role: String,
    /// The role covers the organisation's subtree too.
    #[serde(default)]
    pub subtree: bool,
}

fn default_user_filter() -> String {
    "(&(objectClass=inetOrgPerson)(uid={username}))".into()
}
fn default_group_filter() -> String {
    "(&(objectClass=groupOfNames)(member={dn}))".into()
}
fn default_display_name_attr() -> String {
    "displayName".into()
}
fn default_phone_attr() -> String {
    "telephoneNumber".into()
}
fn default_org_attr() -> String {
    "ou".into()
}
fn default_timeout() -> u64 {
    10
}

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Ldaps,
    StartTls,
    Plain,
}

impl Transport {
    pub fn label(self) -> &'static str {
        match self {
            Transport::Ldaps => "LDAPS",
            Transport::StartTls => "StartTLS",
            Transport::Plain => "明文（allow_plain）",
        }
    }
}

impl DirectoryConfig {
    /// The transport the URL and flags ask for (after [`Self::validate`]).
    pub fn transport(&self) -> Transport {
        if self.url.to_ascii_lowercase().starts_with("ldaps://") {
            Transport::Ldaps
        } else if self.starttls {
            Transport::StartTls
        } else {
            Transport::Plain
        }
    }

    /// The role a mapping gives, if it may be given from the directory.
    pub fn mapped_role(m: &RoleMapping) -> Result<Role, String> {
        let role = Role::parse(m.role.trim())
            .ok_or_else(|| format!("ldap.role_map：未知的角色「{}」", m.role))?;
        // 三员分立: the three administrators (and the third party's
        // administrator account) stay local accounts; a directory group
        // never makes one. Vendor staff need a vendor organisation and an
        // end date (JSCZ-49/50), which a group cannot carry.
        if role.is_three_admin() || role == Role::VendorAdmin {
            return Err(format!(
                "ldap.role_map：不能把目录组「{}」映射为{}：三员及第三方系统管理员账号只能是本地账号",
                m.group,
                role.label()
            ));
        }
        if !role.is_business() || role.is_vendor_side() {
            return Err(format!(
                "ldap.role_map：不能把目录组「{}」映射为{}：第三方人员的角色须由安全管理员按期限授予",
                m.group,
                role.label()
            ));
        }
        Ok(role)
    }

    /// Refuses a configuration that would send passwords in the clear
    /// without saying so, or map a group to a role a directory may not
    /// give. The message names the setting, in Chinese.
    pub fn validate(&self) -> Result<(), String> {
        let url = self.url.trim().to_ascii_lowercase();
        let ldaps = url.starts_with("ldaps://");
        if !ldaps && !url.starts_with("ldap://") {
            return Err("ldap.url 须以 ldap:// 或 ldaps:// 开头".into());
        }
        if url.len() <= "ldaps://".len() {
            return Err("ldap.url 缺少目录服务器地址".into());
        }
        if ldaps && self.starttls {
            return Err("ldap.url 为 ldaps:// 时不能再设置 starttls = true".into());
        }
        if !ldaps && !self.starttls && !self.allow_plain {
            return Err(
                "ldap.url 为 ldap:// 且未启用 StartTLS：密码将以明文传输。请改用 ldaps:// 或设置 starttls = true；确需明文时须显式设置 allow_plain = true"
                    .into(),
            );
        }
        for (key, value) in [
            ("ldap.bind_dn", &self.bind_dn),
            ("ldap.base_dn", &self.base_dn),
        ] {
            if value.trim().is_empty() {
                return Err(format!("{key} 不能为空"));
            }
        }
        if !self.user_filter.contains("{username}") {
            return Err("ldap.user_filter 须包含 {username}".into());
        }
        if !self.group_filter.contains("{dn}") {
            return Err("ldap.group_filter 须包含 {dn}".into());
        }
        for f in [Some(&self.user_filter), Some(&self.group_filter)]
            .into_iter()
            .chain([self.disabled_filter.as_ref()])
            .flatten()
        {
            let f = f.trim();
            if !(f.starts_with('(') && f.ends_with(')')) {
                return Err(format!("ldap 过滤条件「{f}」须用括号括起"));
            }
        }
        if self.timeout_seconds == 0 || self.timeout_seconds > 120 {
            return Err("ldap.timeout_seconds 须在 1 到 120 之间".into());
        }
        for m in &self.role_map {
            if m.group.trim().is_empty() || m.org.trim().is_empty() {
                return Err("ldap.role_map 的 group 和 org 不能为空".into());
            }
            Self::mapped_role(m)?;
        }
        Ok(())
    }

    /// The user filter for `username`, escaped (RFC 4515).
    pub fn user_filter_for(&self, username: &str) -> String {
        self.user_filter
            .replace("{username}", &escape_filter_value(username))
    }

    /// The group filter for the user at `dn`, escaped (RFC 4515).
    pub fn group_filter_for(&self, dn: &str) -> String {
        self.group_filter.replace("{dn}", &escape_filter_value(dn))
    }

    /// The organisation name a user's `org_attr` value stands for.
    pub fn org_name_for(&self, value: Option<&str>) -> Option<String> {
        value.map(str::trim).filter(|v| !v.is_empty()).map(|v| {
            self.org_map
                .get(v)
                .cloned()
                .unwrap_or_else(|| v.to_string())
        })
    }
}

/// A value inside an LDAP filter (RFC 4515 section 3): `*`, `(`, `)`, `\`
/// and NUL escaped, so a login name cannot change the filter.
pub fn escape_filter_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for ch in v.chars() {
        match ch {
            '*' => out.push_str("\\2a"),
            '(' => out.push_str("\\28"),
            ')' => out.push_str("\\29"),
            '\\' => out.push_str("\\5c"),
            '\0' => out.push_str("\\00"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(url: &str) -> DirectoryConfig {
        DirectoryConfig {
            url: url.into(),
            starttls: false,
            allow_plain: false,
            ca_file: None,
            bind_dn: "cn=svc,dc=example".into(),
            bind_password: "x".into(),
            base_dn: "dc=example".into(),
            user_filter: default_user_filter(),
            disabled_filter: None,
            group_base_dn: None,
            group_filter: default_group_filter(),
            display_name_attr: default_display_name_attr(),
            phone_attr: default_phone_attr(),
            org_attr: default_org_attr(),
            org_map: Default::default(),
            default_org: None,
            timeout_seconds: 10,
            role_map: vec![],
        }
    }

    #[test]
    fn plain_needs_the_explicit_flag() {
        assert!(cfg("ldap://127.0.0.1:389").validate().is_err());
        let mut c = cfg("ldap://127.0.0.1:389");
        c.starttls = true;
        assert_eq!(c.validate(), Ok(()));
        assert_eq!(c.transport(), Transport::StartTls);
        c.starttls = false;
        c.allow_plain = true;
        assert_eq!(c.transport(), Transport::Plain);
        assert_eq!(c.validate(), Ok(()));
        assert_eq!(cfg("ldaps://h").transport(), Transport::Ldaps);
        assert!(cfg("http://h").validate().is_err());
    }

    #[test]
    fn three_admin_roles_are_never_mapped() {
        for role in [
            "sys_admin",
            "sec_admin",
            "aud_admin",
            "vendor_admin",
            "vendor_engineer",
            "nope",
        ] {
            let mut c = cfg("ldaps://h");
            c.role_map.push(RoleMapping {
                group: "cn=g".into(),
                org: "某局".into(),
                role: role.into(),
                subtree: false,
            });
            assert!(c.validate().is_err(), "{role}");
        }
    }

    #[test]
    fn filter_values_are_escaped() {
        let c = cfg("ldaps://h");
        assert_eq!(
            c.user_filter_for("a*)(uid=*"),
            "(&(objectClass=inetOrgPerson)(uid=a\\2a\\29\\28uid=\\2a))"
        );
    }
}
