#[tokio::main]
async fn main() -> std::process::ExitCode {
    kommunrapport::cli::run().await
}
