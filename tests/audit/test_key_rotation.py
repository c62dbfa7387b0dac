"""Rotating the key that signs tree heads: the new key signs from then on, each head
names its key, earlier heads still verify with the kept public keys, and a head signed
by a key the verifier was not given fails naming that key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.adapters.signing import key_id, load_public_keys, public_keys_path
from services.adapters.transparency import read_checkpoints
from services.cli import main
from tests.builders import Commander, authority


def test_a_rotated_key_signs_on_and_old_heads_still_verify(
    run: Commander,
    database_url: str,
    schema: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    key_file, checkpoints = tmp_path / "audit" / "signing.key", tmp_path / "cp.jsonl"
    monkeypatch.setenv("RECTRACK_DATABASE_URL", database_url)
    monkeypatch.setenv("RECTRACK_DATABASE_SCHEMA", schema)
    monkeypatch.setenv("RECTRACK_AUDIT_SIGNING_KEY_FILE", str(key_file))
    monkeypatch.setenv("RECTRACK_AUDIT_CHECKPOINT_FILE", str(checkpoints))
    authority(run)
    assert main(["audit", "keygen"]) == 0
    assert main(["audit", "checkpoint"]) == 0
    assert main(["audit", "keygen"]) == 1  # never overwrites a key unasked
    assert main(["audit", "keygen", "--rotate"]) == 0
    authority(run, name="Ministry of Health")
    assert main(["audit", "checkpoint"]) == 0  # continues from the old key's head
    old, new = load_public_keys(str(public_keys_path(key_file)))
    heads = read_checkpoints(checkpoints)
    assert [(h.key_id, h.head.tree_size) for h in heads] == [(key_id(old), 1), (key_id(new), 2)]
    assert len(list(key_file.parent.glob(f"signing.key.{key_id(old)}.retired"))) == 1
    capsys.readouterr()

    verify = ["audit", "verify", "--checkpoints", str(checkpoints)]
    assert main(verify) == 0  # by default, every key in the public keys file
    assert "extends all 2 signed heads" in capsys.readouterr().out
    keys_file = tmp_path / "keys.txt"
    keys_file.write_text(public_keys_path(key_file).read_text())
    assert main([*verify, "--public-key", str(keys_file)]) == 0
    new_text = public_keys_path(key_file).read_text().split()[1]
    old_text = public_keys_path(key_file).read_text().split()[0]
    assert main([*verify, "--public-key", old_text, "--public-key", new_text]) == 0
    capsys.readouterr()

    assert main([*verify, "--public-key", new_text]) == 1
    err = capsys.readouterr().err
    unknown = f"signed by unknown key {key_id(old)}"
    assert f"checkpoint 1: signature not valid for the given public keys: {unknown}" in err

    # A head whose signature was made by another key than the one it names.
    lines = checkpoints.read_text().splitlines()
    forged = json.loads(lines[1]) | {"key_id": key_id(old)}
    checkpoints.write_text("\n".join([lines[0], json.dumps(forged)]) + "\n")
    assert main(verify) == 1
    assert f"checkpoint 2: signature not valid for key {key_id(old)}" in capsys.readouterr().err
