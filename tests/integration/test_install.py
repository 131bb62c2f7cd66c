"""test_install.py - `cmake --install` into a temporary prefix.

Installs the build under test ($VMDNS_BUILD) with `cmake --install --prefix
TMP` and checks that every part lands where an operator or a packager
expects it, and works from there:

  - sbin/vmdnsd and bin/vmdnsctl run (--version / --help);
  - the library, its headers, pkg-config file and CMake package: a small C
    program is compiled and linked with `pkg-config --cflags --libs vmdns`
    (PKG_CONFIG_PATH pointing into the prefix) and runs;
  - the man pages (vmdnsd.8, vmdnsctl.8, vmdns.yaml.5) render without
    warnings;
  - the systemd unit names the installed vmdnsd and runs it as the `vmdns`
    user with CAP_NET_BIND_SERVICE only, and the sysusers.d entry creates
    that user;
  - the example configs are installed and pass `vmdnsd --check`.
"""

import glob
import os
import shutil
import subprocess
import tempfile
import unittest

from vmdns_harness import build_dir

PROGRAM = r"""
#include <stdio.h>
#include <string.h>
#include <vmdns/error.h>
#include <vmdns/registrar.h>

int main(void)
{
    const char *s = vmdns_strerror(VMDNS_OK);
    printf("%s\n", s);
    return s != NULL && strlen(s) > 0 ? 0 : 1;
}
"""


def cmake_cache(key):
    """A value from the build's CMakeCache.txt ("" if absent)."""
    with open(os.path.join(build_dir(), "CMakeCache.txt")) as f:
        for line in f:
            if line.startswith(key + ":"):
                return line.split("=", 1)[1].strip()
    return ""


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kw)


class InstallTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.prefix = tempfile.mkdtemp(prefix="vmdns-install-")
        r = run(["cmake", "--install", build_dir(), "--prefix", cls.prefix])
        if r.returncode != 0:
            shutil.rmtree(cls.prefix, ignore_errors=True)
            raise AssertionError("cmake --install failed:\n%s%s" % (r.stdout, r.stderr))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.prefix, ignore_errors=True)

    def path(self, *parts):
        return os.path.join(self.prefix, *parts)

    def one(self, pattern):
        """The one installed file matching a glob under the prefix."""
        found = glob.glob(self.path(pattern))
        self.assertEqual(len(found), 1, "%s: %r" % (pattern, found))
        return found[0]

    def test_programs_run(self):
        r = run([self.path("sbin", "vmdnsd"), "--version"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"^vmdnsd \d+\.\d+\.\d+")
        r = run([self.path("bin", "vmdnsctl"), "--help"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("register", r.stdout)

    def test_library_headers_pkgconfig_cmake(self):
        self.one("lib*/libvmdns.so")
        self.one("lib*/libvmdns.a")
        for h in ("error.h", "record.h", "registrar.h"):
            self.assertTrue(os.path.isfile(self.path("include", "vmdns", h)), h)
        self.one("lib*/cmake/vmdns/vmdnsConfig.cmake")
        pc_dir = os.path.dirname(self.one("lib*/pkgconfig/vmdns.pc"))
        env = dict(os.environ, PKG_CONFIG_PATH=pc_dir)
        r = run(["pkg-config", "--cflags", "vmdns"], env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("-I", r.stdout)
        include = r.stdout.split("-I", 1)[1].split()[0]
        self.assertEqual(os.path.realpath(include), os.path.realpath(self.path("include")))
        r = run(["pkg-config", "--libs", "vmdns"], env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("-lvmdns", r.stdout)
        # Build and run a program against the installed library only.
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "t.c")
            exe = os.path.join(tmp, "t")
            with open(src, "w") as f:
                f.write(PROGRAM)
            flags = run(["pkg-config", "--cflags", "--libs", "vmdns"], env=env).stdout.split()
            libdir = os.path.dirname(self.one("lib*/libvmdns.so"))
            # The compiler of the build, with its sanitizers (an ASan
            # library needs an ASan program).
            cc = cmake_cache("CMAKE_C_COMPILER") or "cc"
            sanitize = cmake_cache("VMDNS_SANITIZE")
            extra = ["-fsanitize=" + sanitize] if sanitize else []
            r = run([cc, src, "-o", exe] + extra + flags + ["-Wl,-rpath," + libdir])
            self.assertEqual(r.returncode, 0, r.stderr)
            r = run([exe])
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            r = run(["ldd", exe])
            self.assertIn(os.path.realpath(libdir), os.path.realpath(
                [l for l in r.stdout.splitlines() if "libvmdns" in l][0].split("=>")[1].split()[0]))

    def test_man_pages(self):
        pages = [("man8", "vmdnsd.8"), ("man8", "vmdnsctl.8"), ("man5", "vmdns.yaml.5")]
        for section, name in pages:
            page = self.path("share", "man", section, name)
            self.assertTrue(os.path.isfile(page), page)
            if shutil.which("man") is None:
                continue
            r = run(["man", "--warnings", "-l", page],
                    env=dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8", MANPAGER="cat"))
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stderr.strip(), "", "%s: roff warnings" % name)
            self.assertIn("NAME", r.stdout)

    def test_systemd_unit(self):
        unit = self.path("lib", "systemd", "system", "vmdnsd.service")
        with open(unit) as f:
            text = f.read()
        lines = [l.strip() for l in text.splitlines() if l.strip() and not l.startswith("#")]
        sbin = self.path("sbin", "vmdnsd")
        self.assertIn("ExecStart=%s --config %s" % (sbin, self.path("etc", "vmdns", "vmdns.yaml")),
                      lines)
        for want in ("User=vmdns", "Group=vmdns", "AmbientCapabilities=CAP_NET_BIND_SERVICE",
                     "CapabilityBoundingSet=CAP_NET_BIND_SERVICE", "NoNewPrivileges=yes",
                     "ProtectSystem=strict", "ExecReload=/bin/kill -HUP $MAINPID"):
            self.assertIn(want, lines)
        self.assertNotIn("@", "".join(l for l in lines if l.startswith("Exec")))
        with open(self.path("lib", "sysusers.d", "vmdns.conf")) as f:
            self.assertRegex(f.read(), r"(?m)^u vmdns ")
        if shutil.which("systemd-analyze"):
            r = run(["systemd-analyze", "verify", unit])
            problems = [l for l in (r.stdout + r.stderr).splitlines()
                        if l.strip() and "Command 'man " not in l]
            self.assertEqual(problems, [], "systemd-analyze verify")

    def test_examples_check(self):
        examples = self.path("share", "doc", "vmdns", "examples")
        r = run([self.path("sbin", "vmdnsd"), "--check-config", os.path.join(examples, "vmdns.yaml")])
        self.assertEqual(r.returncode, 0, r.stderr)
        r = run([self.path("sbin", "vmdnsd"), "--check", "--corefile",
                 os.path.join(examples, "Corefile")])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("configuration OK", r.stdout)


if __name__ == "__main__":
    unittest.main()
