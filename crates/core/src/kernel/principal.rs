//! Who is calling, what they may do, and the request context that every
//! audit record carries.

use yunwei_domain::roles::{allowed, role_allows, Action, Role, ScopedRole};
use yunwei_domain::AppError;
use yunwei_store::Scope;

#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    pub org_id: String,
    pub org_path: String,
    pub grants: Vec<ScopedRole>,
    /// The session this request came with (None for API tokens).
    pub session_id: Option<String>,
    pub must_change_password: bool,
    /// For a vendor engineer: the regions its vendor's contracts in force
    /// cover (path prefixes), whose unassigned tickets it serves.
    pub contract_regions: Vec<String>,
}

/// Proof that a permission check passed for a principal. The audit record
/// of a change made by a user is written only with one
/// ([`crate::kernel::audit::Actor::User`]), and every change writes its
/// audit record in its transaction, so a use case that changes data
/// without a check does not compile. Only [`Principal::authorize`] and
/// [`Principal::authorize_somewhere`] make one outside `core`; inside, the
/// ticket engine makes one for a pack role it checked, a use case for rows
/// chosen by the caller's own visibility (`seen`) and the account pages for
/// a user acting on their own account.
#[derive(Debug, Clone, Copy)]
pub struct Authorized<'a> {
    principal: &'a Principal,
}

impl<'a> Authorized<'a> {
    /// Who was authorised.
    pub fn principal(&self) -> &'a Principal {
        self.principal
    }

    /// The ticket engine checked that the principal holds a role of the
    /// pack that may take the step (ADR 0003).
    pub(crate) fn pack_role(principal: &'a Principal) -> Authorized<'a> {
        Authorized { principal }
    }

    /// The principal acts on what they may see, chosen by the same rule
    /// that scopes their lists (a comment or attachment on a ticket they
    /// see, an export of the rows they see).
    pub(crate) fn seen(principal: &'a Principal) -> Authorized<'a> {
        Authorized { principal }
    }

    /// The principal acts on their own account, session or notices
    /// (password, second factor, logout): needs no role.
    pub(crate) fn own_account(principal: &'a Principal) -> Authorized<'a> {
        Authorized { principal }
    }
}

impl Principal {
    pub fn roles(&self) -> Vec<Role> {
        let mut r: Vec<Role> = self.grants.iter().map(|g| g.role).collect();
        r.sort();
        r.dedup();
        r
    }

    pub fn has_role(&self, role: Role) -> bool {
        self.grants.iter().any(|g| g.role == role)
    }

    /// Role names for the audit record.
    pub fn role_names(&self) -> String {
        let names: Vec<&str> = self.roles().iter().map(|r| r.as_str()).collect();
        if names.is_empty() {
            "none".into()
        } else {
            names.join(",")
        }
    }

    pub fn can(&self, action: Action, target_path: &str) -> bool {
        !self.must_change_password && allowed(&self.grants, action, target_path)
    }

    /// Whether the principal may do `action` anywhere at all (menus).
    pub fn can_somewhere(&self, action: Action) -> bool {
        !self.must_change_password && self.grants.iter().any(|g| role_allows(g.role, action))
    }

    pub fn authorize(&self, action: Action, target_path: &str) -> Result<Authorized<'_>, AppError> {
        if self.must_change_password {
            return Err(AppError::new(
                yunwei_domain::ErrorKind::Forbidden,
                "auth.password_change_required",
                "请先修改密码（初始密码或已到期的密码）",
            ));
        }
        if allowed(&self.grants, action, target_path) {
            Ok(Authorized { principal: self })
        } else {
            Err(AppError::forbidden(format!(
                "无权{}：超出您的角色或管理范围",
                action.label()
            )))
        }
    }

    /// Refuses, with the usual message, a principal that may not do
    /// `action` anywhere (registers, exports and imports).
    pub fn authorize_somewhere(&self, action: Action) -> Result<Authorized<'_>, AppError> {
        match self.grants.iter().find(|g| role_allows(g.role, action)) {
            Some(g) => self.authorize(action, &g.scope_path),
            None => Err(AppError::forbidden(format!(
                "无权{}：超出您的角色或管理范围",
                action.label()
            ))),
        }
    }

    /// The unassigned tickets a vendor engineer may list and open: those
    /// of the regions its vendor's contracts in force cover.
    pub fn unassigned_ticket_scope(&self) -> Scope {
        if self.must_change_password || !self.has_role(Role::VendorEngineer) {
            return Scope::ranges(vec![]);
        }
        Scope::ranges(
            self.contract_regions
                .iter()
                .map(|p| (p.clone(), true))
                .collect(),
        )
    }

    /// The union of the scopes of `actions`.
    pub fn scope_for_any(&self, actions: &[Action]) -> Scope {
        if self.must_change_password {
            return Scope::ranges(vec![]);
        }
        Scope::ranges(
            self.grants
                .iter()
                .filter(|g| actions.iter().any(|a| role_allows(g.role, *a)))
                .map(|g| (g.scope_path.clone(), g.subtree))
                .collect(),
        )
    }

    /// The data scope for listing objects subject to `action`: the union of
    /// the scopes of every grant whose role allows it.
    pub fn scope_for(&self, action: Action) -> Scope {
        if self.must_change_password {
            return Scope::ranges(vec![]);
        }
        Scope::ranges(
            self.grants
                .iter()
                .filter(|g| role_allows(g.role, action))
                .map(|g| (g.scope_path.clone(), g.subtree))
                .collect(),
        )
    }
}

/// Per-request context for audit records.
#[derive(Debug, Clone, Default)]
pub struct Ctx {
    pub source_ip: String,
    pub request_id: String,
    pub user_agent: String,
}

impl Ctx {
    /// Context for command-line and background work.
    pub fn system(request_id: &str) -> Ctx {
        Ctx {
            source_ip: "local".into(),
            request_id: request_id.into(),
            user_agent: "yunwei-cli".into(),
        }
    }
}
