from pixup.cli import main

main()
