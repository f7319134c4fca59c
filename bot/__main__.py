from bot.cli.program import main

raise SystemExit(main())
