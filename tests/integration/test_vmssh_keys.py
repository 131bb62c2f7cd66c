# SPDX-License-Identifier: BSD-2-Clause
"""vmssh keys against a GitHub API stand-in (issue 10, keys part).

The stand-in is a python http.server on loopback, started here, serving
GET /users/LOGIN/keys per login: keys, an empty list, 404, 403/429 rate
limits with reset headers, 500 then success, a slow answer past the
timeout, 2 MiB, malformed JSON, bad key lines, and 304 for a matching
If-None-Match. Each case checks vmssh's exit status and its one line, that
the token is sent as "Authorization: Bearer" and never printed, and that a
failure writes nothing; and `open --github-user` fetching keys before any
rule (a stand-in nft logs whether it ran). Over HTTPS with a test CA made
here by openssl: keys with ca_file, certificate verification failing
without it.
"""
import email.utils
import http.server
import json
import os
import ssl
import stat
import subprocess
import tempfile
import threading
import time
import unittest

from vmdns_harness import _sanitizer_env

BUILD = os.environ.get("VMDNS_BUILD", os.path.join(os.path.dirname(__file__), "..", "..", "build"))
VMSSH = os.path.join(BUILD, "src", "vmssh", "vmssh")
DATA = os.path.join(os.path.dirname(__file__), "..", "unit", "data", "vmssh_keys.txt")
TOKEN = "ghp_s3cr3tT0kenValue123"


def vectors():
    out = {}
    with open(DATA) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            verdict, name, key = line.rstrip("\n").split(" ", 2)
            out[name] = (verdict, key)
    return out


V = vectors()
ED = " ".join(V["keygen_ed25519"][1].split()[:2])
RSA = " ".join(V["keygen_rsab2048"][1].split()[:2])
BAD = [V["keygen_dsa"][1], V["keygen_rsab1024"][1], V["p384_labelled_p256"][1]]


class Api(http.server.BaseHTTPRequestHandler):
    state = {}  # shared: requests seen, modes

    def log_message(self, *a):
        pass

    def send(self, code, body=b"", headers=()):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        st = Api.state
        parts = self.path.split("/")
        login = parts[2] if len(parts) == 4 and parts[1] == "users" and parts[3] == "keys" else ""
        st["requests"].append((login, dict(self.headers)))
        mode = st["modes"].get(login, "missing")
        keys = lambda ks: json.dumps([{"id": i + 1, "key": k} for i, k in enumerate(ks)]).encode()
        if mode == "ok":
            if self.headers.get("If-None-Match") == '"v1"':
                return self.send(304, b"", [("ETag", '"v1"')])
            return self.send(200, keys([ED, RSA]), [("ETag", '"v1"')])
        if mode == "empty":
            return self.send(200, b"[]")
        if mode == "limited":
            reset = str(int(time.time()) + 120)
            return self.send(403, b'{"message": "API rate limit exceeded"}',
                             [("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", reset)])
        if mode == "retry_after":
            return self.send(429, b"{}", [("Retry-After", "30")])
        if mode == "retry_date":
            when = email.utils.formatdate(time.time() + 300, usegmt=True)
            return self.send(403, b"{}", [("Retry-After", when)])
        if mode == "flaky":
            n = sum(1 for r in st["requests"] if r[0] == login)
            return self.send(500, b"oops") if n == 1 else self.send(200, keys([ED]))
        if mode == "down":
            return self.send(503, b"down")
        if mode == "slow":
            time.sleep(3)
            return self.send(200, keys([ED]))
        if mode == "big":
            return self.send(200, b"[" + b" " * (2 << 20) + b"]")
        if mode == "broken":
            return self.send(200, b'[{"id": 1, "key": "ssh-ed25519 AAAA')
        if mode == "badkeys":
            return self.send(200, keys(BAD))
        if mode == "mixed":
            return self.send(200, keys(BAD + [ED]))
        return self.send(404, b'{"message": "Not Found"}')


class QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # the slow case: vmssh hung up (timeout) before the answer


class KeysTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.exists(VMSSH):
            raise unittest.SkipTest("vmssh not built")
        cls.srv = QuietServer(("127.0.0.1", 0), Api)
        cls.thread = threading.Thread(target=cls.srv.serve_forever, daemon=True)
        cls.thread.start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.shutdown()
        cls.srv.server_close()

    def setUp(self):
        Api.state = {"requests": [], "modes": {
            "octocat": "ok", "hubot": "ok", "empty-user": "empty", "limited": "limited",
            "limited2": "retry-after", "flaky": "flaky", "down": "down", "slow": "slow",
            "big": "big", "broken": "broken", "badkeys": "badkeys", "mixed": "mixed"}}
        Api.state["modes"]["limited2"] = "retry_after"
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name
        with open(os.path.join(self.dir, "token"), "w") as f:
            f.write(TOKEN + "\n")
        self.write_config()

    def tearDown(self):
        self.tmp.cleanup()

    def write_config(self, extra="", top=""):
        port = self.srv.server_address[1]
        with open(os.path.join(self.dir, "vmssh.yaml"), "w") as f:
            f.write(top + f"""external_interface: eth0
port_range: 30000-30010
public_ipv4: 203.0.113.1
state_dir: {self.dir}/state
github:
  api_url: http://127.0.0.1:{port}
  token_file: {self.dir}/token
  timeout: 1s
  retries: 1
  cache_dir: {self.dir}/cache
{extra}""")

    def vmssh(self, *args):
        env = dict(os.environ)
        env.update(_sanitizer_env())
        p = subprocess.run([VMSSH, "--config", os.path.join(self.dir, "vmssh.yaml"), "keys",
                            *args], capture_output=True, text=True, timeout=60, env=env)
        self.assertNotIn(TOKEN, p.stdout + p.stderr)
        return p

    def requests(self, login):
        return [h for l, h in Api.state["requests"] if l == login]

    def test_keys_stdout_and_token(self):
        p = self.vmssh("octocat")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, f"{ED} github:octocat\n{RSA} github:octocat\n")
        hs = self.requests("octocat")
        self.assertEqual(len(hs), 1)
        self.assertEqual(hs[0].get("Authorization"), "Bearer " + TOKEN)
        self.assertEqual(hs[0].get("User-Agent"), "vmssh")

    def test_out_file_several_logins_options(self):
        self.write_config("  options: restrict,pty\n")
        out = os.path.join(self.dir, "authorized_keys")
        p = self.vmssh("octocat", "mixed", "--out", out)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "")
        with open(out) as f:
            self.assertEqual(f.read(), f"restrict,pty {ED} github:octocat\n"
                                       f"restrict,pty {RSA} github:octocat\n"
                                       f"restrict,pty {ED} github:mixed\n")
        self.assertEqual(stat.S_IMODE(os.stat(out).st_mode), 0o600)
        # The three bad keys of "mixed" are reported, one line each.
        self.assertEqual(p.stderr.count("dropped"), 3, p.stderr)
        self.assertEqual(sorted(os.listdir(self.dir)), ["authorized_keys", "cache", "token",
                                                        "vmssh.yaml"])  # no temp file left

    def assert_fails(self, login, want, out=True):
        path = os.path.join(self.dir, "ak")
        p = self.vmssh("octocat", login, *(["--out", path] if out else []))
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn(want, p.stderr)
        self.assertIn("nothing was written", p.stderr)
        self.assertFalse(os.path.exists(path))
        self.assertEqual(p.stdout, "")
        return p

    def test_empty_list(self):
        self.assert_fails("empty-user", "GitHub user 'empty-user' has no usable SSH key")

    def test_not_found(self):
        self.assert_fails("nosuchuser", "GitHub user 'nosuchuser' not found")

    def test_rate_limited(self):
        p = self.assert_fails("limited", "rate limit reached (HTTP 403); retry after ")
        self.assertRegex(p.stderr, r"retry after \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(in 1[12]\ds\)")
        self.assertEqual(len(self.requests("limited")), 1)  # no retry storm
        p = self.assert_fails("limited2", "rate limit reached (HTTP 429)")
        self.assertIn("(in 30s)", p.stderr)
        self.assertEqual(len(self.requests("limited2")), 1)
        Api.state["modes"]["limited3"] = "retry_date"
        p = self.assert_fails("limited3", "rate limit reached (HTTP 403)")
        # The stand-in floors time.time() + 300 to a whole second; vmssh reads
        # time(), glibc's coarse clock, which may still show the second
        # before the one Python read a few ms earlier: 301 is right too.
        self.assertRegex(p.stderr, r"\(in (29\d|30[01])s\)")

    def test_500_then_success(self):
        p = self.vmssh("flaky")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, f"{ED} github:flaky\n")
        self.assertIn("HTTP 500; retrying", p.stderr)
        self.assertEqual(len(self.requests("flaky")), 2)

    def test_5xx_bounded_retries(self):
        self.assert_fails("down", "GitHub answered HTTP 503")
        self.assertEqual(len(self.requests("down")), 2)  # retries: 1

    def test_slow_past_timeout(self):
        t = time.monotonic()
        self.assert_fails("slow", "GitHub unreachable (Timeout")
        self.assertLess(time.monotonic() - t, 2.9)  # 2 x 1s + backoff, not 2 x 3s

    def test_too_big(self):
        self.assert_fails("big", "over 1 MiB")

    def test_malformed_json(self):
        self.assert_fails("broken", "malformed JSON")

    def test_only_bad_keys(self):
        p = self.assert_fails("badkeys", "GitHub user 'badkeys' has no usable SSH key")
        self.assertIn("key type not allowed", p.stderr)
        self.assertIn("RSA key shorter than 2048 bits", p.stderr)
        self.assertIn("type inside the key data differs", p.stderr)

    def test_bad_login_no_request(self):
        for login in ["octocat-", "octo--cat", "a" * 40, "../etc", "octo/cat"]:
            p = self.vmssh(login)
            self.assertEqual(p.returncode, 1, login)
            self.assertIn("bad GitHub login", p.stderr)
        self.assertEqual(Api.state["requests"], [])

    def test_etag_304_and_stale_cache(self):
        p1 = self.vmssh("octocat")
        self.assertEqual(p1.returncode, 0, p1.stderr)
        self.assertNotIn("If-None-Match", self.requests("octocat")[0])
        cache = os.path.join(self.dir, "cache")  # made by vmssh, 0700
        self.assertEqual(stat.S_IMODE(os.stat(cache).st_mode), 0o700)
        self.assertEqual(sorted(os.listdir(cache)), ["octocat.etag", "octocat.keys.json"])
        p2 = self.vmssh("octocat")
        self.assertEqual(p2.returncode, 0, p2.stderr)
        self.assertEqual(p2.stdout, p1.stdout)
        self.assertEqual(self.requests("octocat")[1].get("If-None-Match"), '"v1"')
        # GitHub rate-limited, then unreachable: the cached copy, saying so.
        Api.state["modes"]["octocat"] = "limited"
        p3 = self.vmssh("octocat")
        self.assertEqual(p3.returncode, 0, p3.stderr)
        self.assertEqual(p3.stdout, p1.stdout)
        self.assertIn("rate limit reached", p3.stderr)
        self.assertIn("using the cached copy from", p3.stderr)
        Api.state["modes"]["octocat"] = "down"
        p4 = self.vmssh("octocat")
        self.assertEqual(p4.returncode, 0, p4.stderr)
        self.assertIn("using the cached copy", p4.stderr)
        # Older than max_stale: an error.
        self.write_config("  max_stale: 0s\n")
        time.sleep(1.1)
        p5 = self.vmssh("octocat")
        self.assertEqual(p5.returncode, 1, p5.stderr)
        self.assertIn("GitHub answered HTTP 503", p5.stderr)

    def open_vm(self, *args, nft_rc=1):
        """vmssh open with a stand-in nft that logs its calls and exits nft_rc."""
        log = os.path.join(self.dir, "nft.log")
        nft = os.path.join(self.dir, "nft")
        with open(nft, "w") as f:
            f.write(f"#!/bin/sh\necho \"$*\" >> {log}\ncat > /dev/null\nexit {nft_rc}\n")
        os.chmod(nft, 0o755)
        self.write_config(top=f"nft: {nft}\n")
        env = dict(os.environ)
        env.update(_sanitizer_env())
        p = subprocess.run([VMSSH, "--config", os.path.join(self.dir, "vmssh.yaml"), "open",
                            "vm-1", "--vm-ip", "10.0.0.2", "--name", "vm-1.example.com", *args],
                           capture_output=True, text=True, timeout=60, env=env)
        self.assertNotIn(TOKEN, p.stdout + p.stderr)
        calls = ""
        if os.path.exists(log):
            with open(log) as f:
                calls = f.read()
        return p, calls

    def test_open_no_keys_no_forward(self):
        ak = os.path.join(self.dir, "ak")
        p, calls = self.open_vm("--github-user", "octocat", "--github-user", "empty-user",
                                "--authorized-keys", ak)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("has no usable SSH key; nothing was left behind", p.stderr)
        self.assertEqual(calls, "")  # nft never ran
        self.assertFalse(os.path.exists(ak))
        p, calls = self.open_vm("--github-user", "-bad", "--authorized-keys", ak)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("bad GitHub login", p.stderr)
        self.assertEqual(calls, "")

    def test_open_forward_fails_keys_file_removed(self):
        ak = os.path.join(self.dir, "ak")
        p, calls = self.open_vm("--github-user", "octocat", "--authorized-keys", ak)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertNotEqual(calls, "")  # keys were fetched, then the forward failed
        self.assertEqual(len(self.requests("octocat")), 1)
        self.assertFalse(os.path.exists(ak))

    def test_open_keys_options_go_together(self):
        p, _ = self.open_vm("--github-user", "octocat")
        self.assertEqual(p.returncode, 2)
        p, _ = self.open_vm("--authorized-keys", os.path.join(self.dir, "ak"))
        self.assertEqual(p.returncode, 2)

    def test_token_not_sent_over_plain_http(self):
        with open(os.path.join(self.dir, "vmssh.yaml")) as f:
            text = f.read()
        with open(os.path.join(self.dir, "vmssh.yaml"), "w") as f:
            f.write(text.replace("http://127.0.0.1:", "http://192.0.2.9:"))
        p = self.vmssh("octocat")
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("the token is sent only over https", p.stderr)

    def test_bad_command_lines(self):
        for args in [(), ("--out",), ("octocat", "--bogus")]:
            p = self.vmssh(*args)
            self.assertEqual(p.returncode, 2, args)


class HttpsTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.exists(VMSSH):
            raise unittest.SkipTest("vmssh not built")
        cls.tmp = tempfile.TemporaryDirectory()
        d = cls.tmp.name
        run = lambda *a: subprocess.run(a, check=True, capture_output=True, cwd=d)
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key",
            "-out", "ca.pem", "-days", "1", "-subj", "/CN=vmssh test CA")
        run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "srv.key", "-out",
            "srv.csr", "-subj", "/CN=127.0.0.1")
        with open(os.path.join(d, "ext"), "w") as f:
            f.write("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n")
        run("openssl", "x509", "-req", "-in", "srv.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "srv.pem", "-days", "1", "-extfile", "ext")
        cls.srv = QuietServer(("127.0.0.1", 0), Api)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(d, "srv.pem"), os.path.join(d, "srv.key"))
        cls.srv.socket = ctx.wrap_socket(cls.srv.socket, server_side=True)
        cls.thread = threading.Thread(target=cls.srv.serve_forever, daemon=True)
        cls.thread.start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.shutdown()
        cls.srv.server_close()
        cls.tmp.cleanup()

    def vmssh(self, ca):
        Api.state = {"requests": [], "modes": {"octocat": "ok"}}
        d = self.tmp.name
        port = self.srv.server_address[1]
        with open(os.path.join(d, "token"), "w") as f:
            f.write(TOKEN)
        with open(os.path.join(d, "vmssh.yaml"), "w") as f:
            f.write(f"""external_interface: eth0
port_range: 30000-30010
public_ipv4: 203.0.113.1
state_dir: {d}/state
github:
  api_url: https://127.0.0.1:{port}
  token_file: {d}/token
  timeout: 5s
""" + (f"  ca_file: {d}/ca.pem\n" if ca else ""))
        env = dict(os.environ)
        env.update(_sanitizer_env())
        env.pop("SSL_CERT_FILE", None)
        env.pop("CURL_CA_BUNDLE", None)
        p = subprocess.run([VMSSH, "--config", os.path.join(d, "vmssh.yaml"), "keys", "octocat"],
                           capture_output=True, text=True, timeout=60, env=env)
        self.assertNotIn(TOKEN, p.stdout + p.stderr)
        return p

    def test_https_with_test_ca(self):
        p = self.vmssh(ca=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, f"{ED} github:octocat\n{RSA} github:octocat\n")
        self.assertEqual(Api.state["requests"][0][1].get("Authorization"), "Bearer " + TOKEN)

    def test_https_verification_fails_without_test_ca(self):
        p = self.vmssh(ca=False)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("certificate", p.stderr)
        self.assertNotIn("retrying", p.stderr)  # a certificate problem is not retried
        self.assertEqual(Api.state["requests"], [])
        self.assertEqual(p.stdout, "")


if __name__ == "__main__":
    unittest.main()
