"""Qt-free orchestration: small service classes shaped ``(request, cancel, progress) -> result``
that combine the engine, the store and the feeds for both front ends (GUI and CLI)."""
