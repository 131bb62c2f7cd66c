# SPDX-License-Identifier: BSD-2-Clause
"""vmssh open --github-user end to end (issue 10, keys part).

The network namespaces of netns_harness (client, host, VM with a real
sshd). A GitHub API stand-in (python3 -m http.server in the host
namespace, serving users/octocat/keys as a file) serves octocat's key: the
client's test key. `vmssh open ... --github-user octocat --authorized-keys
F` writes F, the file the VM's sshd reads, before adding the forward: ssh
from the client namespace with octocat's key logs in, with another key it
is refused; a user without keys gets no forward at all.
"""
import json
import os
import subprocess
import time
import unittest

import netns_harness as nh

API_PORT = 18080


class KeysEndToEnd(unittest.TestCase):
    net = None
    skip_reason = None

    @classmethod
    def setUpClass(cls):
        try:
            nh.vmssh_binary()
            cls.net = nh.Network(vms=1, services=True)
        except unittest.SkipTest as e:
            cls.skip_reason = str(e)
            return
        net = cls.net
        api = os.path.join(net.tmp, "api")
        with open(net.client_key + ".pub") as f:
            client_pub = f.read().strip()
        for login, keys in [("octocat", [client_pub]), ("nokeys", [])]:
            os.makedirs(os.path.join(api, "users", login))
            with open(os.path.join(api, "users", login, "keys"), "w") as f:
                json.dump([{"id": i + 1, "key": k} for i, k in enumerate(keys)], f)
        net._spawn("GitHub API stand-in", net.host,
                   ["python3", "-m", "http.server", str(API_PORT), "--bind", "127.0.0.1",
                    "--directory", api], "api.log")
        net._wait_listen(net.host, "127.0.0.1", API_PORT, "GitHub API stand-in")
        # The sshd's authorized_keys is what vmssh writes, nothing before.
        os.unlink(net.authorized)
        cls.other_key = os.path.join(net.tmp, "id_other")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", cls.other_key],
                       check=True)

    @classmethod
    def tearDownClass(cls):
        if cls.net is not None:
            cls.net.close()

    def setUp(self):
        if self.skip_reason:
            self.skipTest(self.skip_reason)
        self.vmssh = nh.Vmssh(self.net, "nft")
        with open(self.vmssh.path, "a") as f:
            f.write("github:\n  api_url: http://127.0.0.1:%d\n  timeout: 3s\n" % API_PORT)

    def open(self, vm, ip, login):
        return self.vmssh("open", vm, "--vm-ip", ip, "--name", nh.fqdn(vm), "--user", "root",
                          "--github-user", login, "--authorized-keys", self.net.authorized)

    def test_octocat_logs_in_other_key_refused(self):
        r = self.open("vm-keys", nh.Network.vm_addr(0, 0), "octocat")
        self.assertEqual(r.returncode, 0, r.stderr)
        port = int(nh.OPEN_RE.search(r.stdout).group(1))
        with open(self.net.authorized) as f:
            text = f.read()
        self.assertEqual(len(text.splitlines()), 1)
        self.assertTrue(text.endswith(" github:octocat\n"), text)
        self.assertEqual(oct(os.stat(self.net.authorized).st_mode & 0o777), "0o600")
        ok = self.net.ssh(port, command="echo in")
        self.assertEqual(ok.returncode, 0, ok.stderr)
        self.assertEqual(ok.stdout.strip(), "in")
        bad = self.net.client.run(
            ["ssh", "-F", "/dev/null", "-i", self.other_key, "-o", "BatchMode=yes",
             "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
             "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=5", "-o", "LogLevel=ERROR",
             "-p", str(port), "root@%s" % nh.HOST_EXT_IP, "echo in"], check=False, timeout=15)
        self.assertEqual(bad.returncode, 255, bad.stdout)
        self.assertIn("Permission denied", bad.stderr)
        self.assertEqual(self.vmssh("close", "vm-keys").returncode, 0)

    def test_no_keys_no_forward(self):
        r = self.open("vm-nokeys", nh.Network.vm_addr(0, 1), "nokeys")
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("has no usable SSH key; nothing was left behind", r.stderr)
        self.assertNotIn("vm-nokeys", self.net.ruleset())
        self.assertEqual(self.vmssh("list").stdout.count("vm-nokeys"), 0)


if __name__ == "__main__":
    unittest.main()
