pytest_plugins = ["tests.slackfixtures"]
