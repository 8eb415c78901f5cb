"""The README's configuration table and .env.example match the Settings class."""

from pathlib import Path

from bot.config import Settings, env_name
from bot.settings_doc import env_example, readme_with_table

ROOT = Path(__file__).resolve().parent.parent


def test_readme_table_is_current() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme_with_table(readme) == readme, "run: python -m bot.settings_doc"


def test_env_example_is_current() -> None:
    assert (ROOT / ".env.example").read_text(encoding="utf-8") == env_example()


def test_every_setting_is_documented() -> None:
    text = env_example()
    for name, info in Settings.model_fields.items():
        assert info.description, name
        assert f"# {env_name(name)}=" in text
