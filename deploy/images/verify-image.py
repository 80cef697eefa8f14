#!/usr/bin/env python3
"""Checks an OCI image tarball written by Jib, without Docker: one image for linux/amd64, user 65532, the JVM flags
in the entrypoint, PATH and profile set, no layer file owned by or setuid to root that is writable by others, and
(when run as root, with unshare and chroot available) that java in the unpacked image starts as uid 65532.

    deploy/images/verify-image.py <service>/target/jib/<service>-image.tar ...
"""
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile

REQUIRED_FLAGS = ["-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError"]


def blob(archive, digest):
    return archive.extractfile("blobs/sha256/" + digest.split(":", 1)[1])


def check(path):
    problems = []
    with tarfile.open(path) as archive:
        index = json.load(archive.extractfile("index.json"))
        if len(index["manifests"]) != 1:
            problems.append("expected one manifest, found %d" % len(index["manifests"]))
        manifest = json.load(blob(archive, index["manifests"][0]["digest"]))
        config = json.load(blob(archive, manifest["config"]["digest"]))
        run = config.get("config", {})
        if config.get("architecture") != "amd64" or config.get("os") != "linux":
            problems.append("platform %s/%s" % (config.get("os"), config.get("architecture")))
        if run.get("User") != "65532:65532":
            problems.append("user is %r, not 65532:65532" % run.get("User"))
        entrypoint = run.get("Entrypoint") or []
        for flag in REQUIRED_FLAGS:
            if flag not in entrypoint:
                problems.append("entrypoint lacks " + flag)
        env = dict(e.split("=", 1) for e in run.get("Env", []))
        if env.get("SPRING_PROFILES_ACTIVE") != "container":
            problems.append("SPRING_PROFILES_ACTIVE is not container")
        root = tempfile.mkdtemp(prefix="keygate-image-")
        os.chmod(root, 0o755)  # the image root as a container sees it, traversable by uid 65532
        try:
            for layer in manifest["layers"]:
                with tarfile.open(fileobj=blob(archive, layer["digest"]), mode="r:gz") as content:
                    for member in content.getmembers():
                        if member.mode & 0o4000 or member.mode & 0o2000:
                            problems.append("setuid/setgid file " + member.name)
                        if member.isfile() and member.mode & 0o002:
                            problems.append("world-writable file " + member.name)
                    content.extractall(root)
            for needed in ("opt/java/bin/java", "busybox/busybox", "etc/passwd", "app/jib-classpath-file"):
                if not os.path.exists(os.path.join(root, needed)):
                    problems.append("missing /" + needed)
            if not problems and os.geteuid() == 0 and shutil.which("unshare") and shutil.which("chroot"):
                os.makedirs(os.path.join(root, "proc"), exist_ok=True)
                started = subprocess.run(
                    ["unshare", "--mount", "--fork", "sh", "-c",
                     "mount -t proc proc '%s/proc' && chroot --userspec=65532:65532 '%s' /opt/java/bin/java %s -version"
                     % (root, root, " ".join(REQUIRED_FLAGS))],
                    capture_output=True, text=True, timeout=60)
                if started.returncode != 0 or "version" not in started.stderr:
                    problems.append("java did not start in the image as uid 65532: " + started.stderr.strip()[:300])
        finally:
            subprocess.run(["umount", os.path.join(root, "proc")], capture_output=True)
            shutil.rmtree(root, ignore_errors=True)
    return problems


def main(paths):
    failed = False
    for path in paths:
        problems = check(path)
        print("%s: %s" % (path, "ok" if not problems else "; ".join(problems)))
        failed = failed or bool(problems)
    return 1 if failed or not paths else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
