from kgfgnn.cli import main

raise SystemExit(main())
