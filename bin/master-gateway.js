#!/usr/bin/env node
'use strict';
// Runs the compiled CLI (dist/ is built by `npm ci` through the prepare script, or `npm run build`).
require('../dist/cli/main.js').main(process.argv);
