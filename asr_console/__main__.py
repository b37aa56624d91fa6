from asr_console.cli import main

raise SystemExit(main())
