//! One method per REST route, each taking and returning the `tresor-api` wire types.
//!
//! `user` and `group` arguments accept an id or a name; they travel as single percent-encoded path segments.

use reqwest::{Method, Url};
use tresor_api::{
    ChangePasswordRequest, CreateGroupRequest, CreateUserRequest, GroupList, GroupView, Health, JobList, ListQuery,
    MeResponse, ServerInfo, SessionList, SetPasswordRequest, UpdateGroupRequest, UpdateUserRequest, UserList, UserView,
};

use crate::{Client, ClientError};

type Result<T> = std::result::Result<T, ClientError>;

fn with_list_query(url: Url, query: &ListQuery) -> Url {
    with_query(url, &[("q", query.q.clone()), ("offset", text(query.offset)), ("limit", text(query.limit))])
}

/// Appends the query parameters that have a value, percent-encoded; no `?` when none has.
pub(crate) fn with_query(mut url: Url, params: &[(&str, Option<String>)]) -> Url {
    {
        let mut pairs = url.query_pairs_mut();
        for (name, value) in params {
            if let Some(value) = value {
                pairs.append_pair(name, value);
            }
        }
    }
    if url.query() == Some("") {
        url.set_query(None);
    }
    url
}

/// An optional query value as text.
pub(crate) fn text<T: ToString>(value: Option<T>) -> Option<String> {
    value.map(|v| v.to_string())
}

impl Client {
    /// `GET /healthz` (no authentication).
    pub async fn health(&self) -> Result<Health> {
        let url = self.url(&["healthz"])?;
        self.send_json(self.request(Method::GET, url)).await
    }

    /// `GET /api/v1/openapi.json`: the OpenAPI description, as raw JSON.
    pub async fn openapi(&self) -> Result<serde_json::Value> {
        let url = self.api_url(&["openapi.json"])?;
        self.send_json(self.request(Method::GET, url)).await
    }

    /// `POST /api/v1/auth/logout`: ends the session of this client's token.
    pub async fn logout(&self) -> Result<()> {
        let url = self.api_url(&["auth", "logout"])?;
        self.send_empty(self.request(Method::POST, url)).await
    }

    /// `GET /api/v1/me`.
    pub async fn me(&self) -> Result<MeResponse> {
        let url = self.api_url(&["me"])?;
        self.send_json(self.request(Method::GET, url)).await
    }

    /// `PUT /api/v1/me/password`.
    pub async fn change_password(&self, request: &ChangePasswordRequest) -> Result<()> {
        let url = self.api_url(&["me", "password"])?;
        self.send_empty(self.request(Method::PUT, url).json(request)).await
    }

    /// `GET /api/v1/admin/info`: the server dashboard.
    pub async fn server_info(&self) -> Result<ServerInfo> {
        let url = self.api_url(&["admin", "info"])?;
        self.send_json(self.request(Method::GET, url)).await
    }

    /// `GET /api/v1/admin/jobs`: the background workers.
    pub async fn jobs(&self) -> Result<JobList> {
        let url = self.api_url(&["admin", "jobs"])?;
        self.send_json(self.request(Method::GET, url)).await
    }

    /// `GET /api/v1/admin/users?q=&offset=&limit=`.
    pub async fn list_users(&self, query: &ListQuery) -> Result<UserList> {
        let url = with_list_query(self.api_url(&["admin", "users"])?, query);
        self.send_json(self.request(Method::GET, url)).await
    }

    /// `POST /api/v1/admin/users`.
    pub async fn create_user(&self, request: &CreateUserRequest) -> Result<UserView> {
        let url = self.api_url(&["admin", "users"])?;
        self.send_json(self.request(Method::POST, url).json(request)).await
    }

    /// `GET /api/v1/admin/users/{user}`.
    pub async fn get_user(&self, user: &str) -> Result<UserView> {
        let url = self.api_url(&["admin", "users", user])?;
        self.send_json(self.request(Method::GET, url)).await
    }

    /// `PATCH /api/v1/admin/users/{user}`.
    pub async fn update_user(&self, user: &str, request: &UpdateUserRequest) -> Result<UserView> {
        let url = self.api_url(&["admin", "users", user])?;
        self.send_json(self.request(Method::PATCH, url).json(request)).await
    }

    /// `DELETE /api/v1/admin/users/{user}`.
    pub async fn delete_user(&self, user: &str) -> Result<()> {
        let url = self.api_url(&["admin", "users", user])?;
        self.send_empty(self.request(Method::DELETE, url)).await
    }

    /// `PUT /api/v1/admin/users/{user}/password`.
    pub async fn set_user_password(&self, user: &str, request: &SetPasswordRequest) -> Result<()> {
        let url = self.api_url(&["admin", "users", user, "password"])?;
        self.send_empty(self.request(Method::PUT, url).json(request)).await
    }

    /// `GET /api/v1/admin/groups?q=&offset=&limit=`.
    pub async fn list_groups(&self, query: &ListQuery) -> Result<GroupList> {
        let url = with_list_query(self.api_url(&["admin", "groups"])?, query);
        self.send_json(self.request(Method::GET, url)).await
    }

    /// `POST /api/v1/admin/groups`.
    pub async fn create_group(&self, request: &CreateGroupRequest) -> Result<GroupView> {
        let url = self.api_url(&["admin", "groups"])?;
        self.send_json(self.request(Method::POST, url).json(request)).await
    }

    /// `GET /api/v1/admin/groups/{group}`.
    pub async fn get_group(&self, group: &str) -> Result<GroupView> {
        let url = self.api_url(&["admin", "groups", group])?;
        self.send_json(self.request(Method::GET, url)).await
    }

    /// `PATCH /api/v1/admin/groups/{group}`.
    pub async fn update_group(&self, group: &str, request: &UpdateGroupRequest) -> Result<GroupView> {
        let url = self.api_url(&["admin", "groups", group])?;
        self.send_json(self.request(Method::PATCH, url).json(request)).await
    }

    /// `DELETE /api/v1/admin/groups/{group}`.
    pub async fn delete_group(&self, group: &str) -> Result<()> {
        let url = self.api_url(&["admin", "groups", group])?;
        self.send_empty(self.request(Method::DELETE, url)).await
    }

    /// `PUT /api/v1/admin/groups/{group}/members/users/{user}`.
    pub async fn add_group_user(&self, group: &str, user: &str) -> Result<GroupView> {
        let url = self.api_url(&["admin", "groups", group, "members", "users", user])?;
        self.send_json(self.request(Method::PUT, url)).await
    }

    /// `DELETE /api/v1/admin/groups/{group}/members/users/{user}`.
    pub async fn remove_group_user(&self, group: &str, user: &str) -> Result<GroupView> {
        let url = self.api_url(&["admin", "groups", group, "members", "users", user])?;
        self.send_json(self.request(Method::DELETE, url)).await
    }

    /// `PUT /api/v1/admin/groups/{group}/members/groups/{member}`.
    pub async fn add_group_group(&self, group: &str, member: &str) -> Result<GroupView> {
        let url = self.api_url(&["admin", "groups", group, "members", "groups", member])?;
        self.send_json(self.request(Method::PUT, url)).await
    }

    /// `DELETE /api/v1/admin/groups/{group}/members/groups/{member}`.
    pub async fn remove_group_group(&self, group: &str, member: &str) -> Result<GroupView> {
        let url = self.api_url(&["admin", "groups", group, "members", "groups", member])?;
        self.send_json(self.request(Method::DELETE, url)).await
    }

    /// `GET /api/v1/admin/sessions`.
    pub async fn list_sessions(&self) -> Result<SessionList> {
        let url = self.api_url(&["admin", "sessions"])?;
        self.send_json(self.request(Method::GET, url)).await
    }

    /// `DELETE /api/v1/admin/sessions/{id}`: disconnects a session.
    pub async fn delete_session(&self, id: &str) -> Result<()> {
        let url = self.api_url(&["admin", "sessions", id])?;
        self.send_empty(self.request(Method::DELETE, url)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_query_is_encoded() {
        let base = Url::parse("https://x/api/v1/admin/users").expect("url");
        let url =
            with_list_query(base.clone(), &ListQuery { q: Some("a&b c".into()), offset: Some(10), limit: Some(5) });
        assert_eq!(url.query(), Some("q=a%26b+c&offset=10&limit=5"));
        assert_eq!(with_list_query(base, &ListQuery::default()).query(), None);
    }
}
