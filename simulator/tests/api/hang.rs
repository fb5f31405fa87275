//! A hanging fault on the real server: it holds its request open and then answers
//! 504, while other requests are served in the meantime. Driven with hand-written
//! HTTP/1.1 over a plain TCP stream.

use std::{
    net::{SocketAddr, TcpListener},
    time::{Duration, Instant},
};

use gantry_simulator::{Fault, FaultKind, Simulator, SimulatorOptions};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::helpers::{payload, repo_path};

/// Sends `GET path` with a token and returns the status code of the answer.
async fn get_status(addr: SocketAddr, path: &str) -> u16 {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: token t\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer);
    let status_line = answer.lines().next().unwrap_or_default();
    status_line
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status in {answer:?}"))
}

#[actix_web::test]
async fn a_hung_request_answers_504_later_and_does_not_block_a_concurrent_one() {
    let sim = Simulator::new(SimulatorOptions::default());
    sim.learn("issues", &payload("issues/opened.payload.json"));
    sim.inject(Fault {
        method: Some("GET".to_owned()),
        path: "/repos/*/*/issues/*".to_owned(),
        kind: FaultKind::Hang { secs: 2 },
        times: Some(1),
    });
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = sim.serve(listener).unwrap();
    let handle = server.handle();
    actix_web::rt::spawn(server);

    let started = Instant::now();
    let hung = actix_web::rt::spawn(async move {
        let status = get_status(addr, &repo_path("/issues/1")).await;
        (status, started.elapsed())
    });
    // Let the hung request reach the server before the normal one.
    while sim.request_count("GET", &repo_path("/issues/1")) == 0 {
        actix_web::rt::time::sleep(Duration::from_millis(10)).await;
    }
    for _ in 0..3 {
        let normal = tokio::time::timeout(Duration::from_secs(1), get_status(addr, &repo_path("")))
            .await
            .expect("a normal request is served while another one hangs");
        assert_eq!(normal, 200);
    }
    assert!(started.elapsed() < Duration::from_secs(2));

    let (status, elapsed) = hung.await.unwrap();
    assert_eq!(status, 504);
    assert!(elapsed >= Duration::from_secs(2), "{elapsed:?}");
    assert_eq!(get_status(addr, &repo_path("/issues/1")).await, 200);
    handle.stop(true).await;
}
