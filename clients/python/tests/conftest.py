pytest_plugins = ["acsemu_pytest.plugin", "pytester"]
