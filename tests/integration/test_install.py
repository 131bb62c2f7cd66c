# SPDX-License-Identifier: BSD-2-Clause
"""test_install.py - `cmake --install` into a temporary prefix.

Installs the build under test ($VMDNS_BUILD) with `cmake --install --prefix
TMP` and checks that every part lands where an operator or a packager
expects it, and works from there:

  - sbin/vmdnsd, bin/vmdnsctl and bin/vmssh run (--version / --help);
  - the library, its headers, pkg-config file and CMake package: a small C
    program is compiled and linked with `pkg-config --cflags --libs vmdns`
    (PKG_CONFIG_PATH pointing into the prefix) and runs;
  - the same for libvmssh (vmssh.pc, <vmdns/ssh.h>), and a CMake project
    using find_package(vmssh) links both vmssh::vmssh and
    vmssh::vmssh_static (which pulls in libvmdns's package) and runs;
  - the man pages (vmdnsd.8, vmdnsctl.8, vmdns.yaml.5, vmssh.1) render
    without warnings;
  - the systemd unit names the installed vmdnsd and runs it as the `vmdns`
    user with CAP_NET_BIND_SERVICE only, and the sysusers.d entry creates
    that user;
  - the example configs are installed and pass `vmdnsd --check`; the
    vmssh.yaml example is installed.
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

VMSSH_PROGRAM = r"""
#include <stdio.h>
#include <vmdns/ssh.h>

int main(void)
{
    vmssh_error_t err;
    vmssh_t *h = vmssh_new("/nonexistent/vmssh.yaml", &err);
    printf("%s\n", err.message);
    return h == NULL && err.code == VMSSH_ERR_CONFIG && vmssh_valid_vm_id("vm-1") ? 0 : 1;
}
"""

VMSSH_CMAKE = """cmake_minimum_required(VERSION 3.18)
project(consumer C)
find_package(vmssh REQUIRED)
add_executable(shared t.c)
target_link_libraries(shared vmssh::vmssh)
add_executable(static t.c)
target_link_libraries(static vmssh::vmssh_static)
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
        r = run([self.path("bin", "vmssh"), "--help"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("reconcile", r.stdout)

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

    def compiler(self):
        """The compiler of the build and its sanitizer flags (an ASan
        library needs an ASan program)."""
        cc = cmake_cache("CMAKE_C_COMPILER") or "cc"
        sanitize = cmake_cache("VMDNS_SANITIZE")
        return cc, (["-fsanitize=" + sanitize] if sanitize else [])

    def test_vmssh_library_pkgconfig_cmake(self):
        so = self.one("lib*/libvmssh.so")
        self.one("lib*/libvmssh.a")
        self.assertTrue(os.path.isfile(self.path("include", "vmdns", "ssh.h")))
        self.one("lib*/cmake/vmssh/vmsshConfig.cmake")
        pc_dir = os.path.dirname(self.one("lib*/pkgconfig/vmssh.pc"))
        env = dict(os.environ, PKG_CONFIG_PATH=pc_dir)
        cc, extra = self.compiler()
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "t.c")
            with open(src, "w") as f:
                f.write(VMSSH_PROGRAM)
            # pkg-config, shared: libvmssh.so finds libvmdns.so beside it.
            r = run(["pkg-config", "--cflags", "--libs", "vmssh"], env=env)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("-lvmssh", r.stdout)
            exe = os.path.join(tmp, "t")
            r = run([cc, src, "-o", exe] + extra + r.stdout.split() +
                    ["-Wl,-rpath," + os.path.dirname(so)])
            self.assertEqual(r.returncode, 0, r.stderr)
            r = run([exe])
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("cannot open", r.stdout)
            # CMake: find_package(vmssh), the shared and the static library.
            with open(os.path.join(tmp, "CMakeLists.txt"), "w") as f:
                f.write(VMSSH_CMAKE)
            bdir = os.path.join(tmp, "b")
            r = run(["cmake", "-S", tmp, "-B", bdir, "-DCMAKE_PREFIX_PATH=" + self.prefix,
                     "-DCMAKE_C_COMPILER=" + cc, "-DCMAKE_C_FLAGS=" + " ".join(extra),
                     "-DCMAKE_EXE_LINKER_FLAGS=" + " ".join(extra)])
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            r = run(["cmake", "--build", bdir])
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            for name in ("shared", "static"):
                r = run([os.path.join(bdir, name)])
                self.assertEqual(r.returncode, 0, name + ": " + r.stdout + r.stderr)

    def test_man_pages(self):
        pages = [("man8", "vmdnsd.8"), ("man8", "vmdnsctl.8"), ("man5", "vmdns.yaml.5"),
                 ("man1", "vmssh.1")]
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
        self.assertTrue(os.path.isfile(os.path.join(examples, "vmssh.yaml")))


if __name__ == "__main__":
    unittest.main()
