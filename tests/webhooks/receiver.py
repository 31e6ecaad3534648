"""A real HTTP receiver on 127.0.0.1 for webhook tests: records every request (headers and body) and answers
with the statuses it is told to, in order (the last one repeats); an answer may also be a delay in seconds."""
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    def __init__(self, answers=(200,)):
        self.answers = list(answers)
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                with receiver.lock:
                    receiver.requests.append({"headers": dict(self.headers.items()), "body": body})
                    answer = receiver.answers.pop(0) if len(receiver.answers) > 1 else receiver.answers[0]
                if isinstance(answer, float):  # hang (a timeout, or a worker killed meanwhile)
                    threading.Event().wait(answer)
                    answer = 200
                payload = b"x" * 5000 if answer == 299 else b'{"ok": true}'
                self.send_response(answer)
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                try:
                    self.wfile.write(payload)
                except OSError:
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
