// Dev MongoDB: one user per Agora service, limited to its own database ("<prefix>_<service>"),
// plus "migrate" (index creation on all seven). Run by the official image's entrypoint once, when
// the data volume is empty (/docker-entrypoint-initdb.d). Passwords come from the environment,
// filled from the Secrets agora-<user>-mongodb-password (k8s/scripts/create-secrets.py).
const prefix = process.env.MONGO_DB_PREFIX || "agora";
const services = ["gateway", "identity", "posts", "moderation", "feeds", "notifications", "conversations"];
const admin = db.getSiblingDB("admin");

function passwordOf(user) {
  const value = process.env["AGORA_" + user.toUpperCase() + "_MONGODB_PASSWORD"];
  if (!value) {
    throw new Error("no password for MongoDB user " + user);
  }
  return value;
}

for (const service of services) {
  admin.createUser({
    user: service,
    pwd: passwordOf(service),
    // its own database, and the data subjects' key store (crypto-shredding) that every service uses
    roles: [{ role: "readWrite", db: prefix + "_" + service }, { role: "readWrite", db: prefix + "_keys" }],
  });
}
admin.createUser({
  user: "migrate",
  pwd: passwordOf("migrate"),
  roles: services.map((service) => ({ role: "readWrite", db: prefix + "_" + service })),
});
