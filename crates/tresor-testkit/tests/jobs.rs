//! The background workers through the real server (`GET /admin/jobs`): each follows the server log from a known
//! position, the log files catch up with every record, a remote syslog sender without a receiver says so.
#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use std::time::{Duration, Instant};

use tresor_api::{JobInfo, JobList, JobState, Role};
use tresor_client::Client;
use tresor_testkit::TestServer;

async fn until(admin: &Client, what: &str, done: impl Fn(&JobList) -> bool) -> JobList {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let jobs = admin.jobs().await.unwrap();
        if done(&jobs) {
            return jobs;
        }
        assert!(Instant::now() < deadline, "timed out waiting until {what}: {jobs:#?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn job<'a>(jobs: &'a JobList, name: &str) -> &'a JobInfo {
    jobs.jobs.iter().find(|j| j.name == name).unwrap_or_else(|| panic!("no job {name} in {jobs:#?}"))
}

#[tokio::test]
async fn every_worker_reports_how_far_it_has_followed_the_log() {
    let server = TestServer::start().await;
    let admin = server.admin().await;
    // Some records: a user created, and that user's log on.
    let reader = server.create_user(&admin, "sam", &[Role::EventLogReader]).await;

    let jobs = until(&admin, "the log files hold every record", |j| {
        let files = job(j, "log-files");
        files.state == JobState::Following && files.position == j.log_head && j.log_head > 0
    })
    .await;
    let names: Vec<&str> = jobs.jobs.iter().map(|j| j.name.as_str()).collect();
    assert_eq!(names, ["log-files", "remote-syslog", "notifications"]);
    let files = job(&jobs, "log-files");
    // A new logs folder gets the whole log: every record so far was written by this process.
    assert!(files.done >= files.position && files.failures == 0, "{files:#?}");

    let jobs =
        until(&admin, "every worker has started", |j| j.jobs.iter().all(|w| w.state == JobState::Following)).await;
    let syslog = job(&jobs, "remote-syslog");
    assert_eq!((syslog.done, syslog.failures), (0, 0), "no receiver is set: {syslog:#?}");
    assert!(syslog.detail.as_deref().unwrap_or_default().starts_with("not connected"), "{syslog:#?}");
    let notifications = job(&jobs, "notifications");
    assert_eq!((notifications.done, notifications.failures), (0, 0), "{notifications:#?}");
    assert!(notifications.position <= jobs.log_head);

    // Any server role may look; a user without one may not.
    assert_eq!(reader.jobs().await.unwrap().jobs.len(), 3);
    let plain = server.create_user(&admin, "pat", &[]).await;
    let refused = plain.jobs().await.unwrap_err();
    assert!(refused.to_string().contains("forbidden"), "{refused}");
}
