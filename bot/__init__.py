"""groupbot core: everything but HTTP."""
