"""The README's five-minute walk-through, run as written: its `sh` blocks, in order, in bash, with
the AWS CLI and `monban` on PATH and the `export` line of `monban serve --ephemeral` in the
environment, from a directory holding the repository's `examples/`. A change that breaks the
walk-through breaks this test."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from helpers import REPO, monban_bin, serve_and_read_exports

SECTION = "## Five minutes"


def walkthrough() -> str:
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index(SECTION):]
    section = section[:section.index("\n## ", 1)]
    blocks = section.split("```sh\n")[1:]
    assert blocks, "the walk-through has no sh blocks"
    return "\n".join(block[:block.index("```")] for block in blocks)


def test_the_readme_walkthrough_works_as_written(tmp_path):
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    server_log = tmp_path / "server.log"
    with open(server_log, "w") as log:
        process, exported = serve_and_read_exports(["--ephemeral"], stderr=log)
    try:
        aws_dir = Path(sys.executable).parent
        assert (aws_dir / "aws").exists(), "the AWS CLI is installed in the suite's virtualenv"
        env = {"PATH": f"{monban_bin().parent}:{aws_dir}:/usr/bin:/bin", "HOME": str(tmp_path), "AWS_PAGER": "",
               "AWS_EC2_METADATA_DISABLED": "true", **exported}
        proc = subprocess.run(["bash", "-c", walkthrough()], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=600)
    finally:
        process.kill()
        process.wait()
    out = proc.stdout + proc.stderr
    log = server_log.read_text()
    # The role without the boundary is refused, and the server's line names the near miss.
    assert out.count("(AccessDenied) when calling the CreateRole operation") == 1, out
    assert ("statement `CreateRolesOnlyWithTheBoundary` of `DelegatedRoleCreation` matched but its condition "
            "StringEquals on `iam:PermissionsBoundary` failed (the key is not in the request)") in log, log
    # With the boundary it is created, assumed, and the boundary caps the session.
    assert '"PermissionsBoundaryArn": "arn:aws:iam::123456789012:policy/DeveloperBoundary"' in out, out
    assert '"Arn": "arn:aws:sts::123456789012:assumed-role/app/try"' in out, out
    assert "(AccessDenied) when calling the CreateUser operation" in out, out
    assert "because no permissions boundary allows the iam:CreateUser action" in out, out
    assert "a missing allow in the permissions boundary `DeveloperBoundary`" in log, log
    # The four steps on the boundary: the impacts it carries, and guardrails written.
    assert "public-data-exposure (fatal)" in out, out
    assert "NOT PROVABLE within IAM" in out, out
    assert os.path.exists(tmp_path / "guardrails" / "boundary.json")
    # The analysis agrees: no path with the condition, the developer's path without it.
    assert out.count("no principal can escalate to admin-equivalent permissions") == 1, out
    assert "arn:aws:iam::123456789012:user/developer can reach administrator" in out, out
    assert proc.returncode == 2, "the last command is the escalation that finds the path"
    assert os.path.exists(tmp_path / "account.json")
