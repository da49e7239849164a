/** The Redis server's clock inside a script (a module of its own now; kept here for importers). */
export { SERVER_NOW_LUA as SERVER_NOW } from '../redis/lua/server-now.lua';
