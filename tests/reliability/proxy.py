"""A TCP proxy in a thread, for outage tests: put it between a server and its database, then `stop()` it to make
the database unreachable (new connections refused, open ones cut) and `start()` it again on the same port."""
import selectors
import socket
import threading

ACCEPT_POLL_SECONDS = 0.05


class TcpProxy:
    def __init__(self, upstream: tuple[str, int]):
        self.upstream = upstream
        self.port = 0
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._stop = threading.Event()
        self._acceptor: threading.Thread | None = None

    def start(self) -> int:
        """Listen on 127.0.0.1 (a free port the first time, the same port afterwards); return the port."""
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        self.port = listener.getsockname()[1]
        self._stop = threading.Event()
        self._acceptor = threading.Thread(target=self._accept, args=(listener, self._stop), daemon=True)
        self._acceptor.start()
        return self.port

    def stop(self) -> None:
        """Close the listener (connecting is refused) and cut every proxied connection."""
        self._stop.set()
        if self._acceptor is not None:
            self._acceptor.join(timeout=5)
            self._acceptor = None
        self.cut_connections()

    def cut_connections(self) -> None:
        """Cut every proxied connection, as a database restart would; the listener stays open."""
        with self._lock:
            sockets, self._open = self._open, set()
        for sock in sockets:
            _close(sock)

    def _accept(self, listener: socket.socket, stop: threading.Event) -> None:
        with listener, selectors.DefaultSelector() as selector:
            selector.register(listener, selectors.EVENT_READ)
            while not stop.is_set():
                if not selector.select(timeout=ACCEPT_POLL_SECONDS):
                    continue
                try:
                    client, _address = listener.accept()
                except OSError:
                    continue
                try:
                    server = socket.create_connection(self.upstream, timeout=5)
                    server.settimeout(None)
                except OSError:
                    _close(client)
                    continue
                with self._lock:
                    self._open.update((client, server))
                for source, target in ((client, server), (server, client)):
                    threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            with self._lock:
                self._open.difference_update((source, target))
            _close(source)
            _close(target)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
