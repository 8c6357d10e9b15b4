// The CommonJS entry: require('libvirt-pmc') returns the very module that
// import('libvirt-pmc') loads (Node's require(esm), unflagged from Node 20.19
// and 22.12, the engines range), so both see one LibvirtError, one addon.
import api = require('./index.js');
export = api;
