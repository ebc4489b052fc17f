fn main() -> std::process::ExitCode {
    yunwei::cli::main()
}
