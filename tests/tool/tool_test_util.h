// SPDX-License-Identifier: BSD-3-Clause
// tool_test_util.h - runs the unchanged opaevfio binary under the mock kernel
// (LD_PRELOAD) with a scenario and a copy of the host-state fixture, and
// captures its exit status, stdout and stderr.
#pragma once

#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <regex.h>
#include <json-c/json.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

extern char **environ;

namespace tooltest
{

namespace fs = std::filesystem;

inline std::string scenario(const std::string &name)
{
	std::string own = std::string(TOOL_SCENARIOS) + "/" + name + ".json";
	return fs::exists(own) ? own : std::string(MOCK_SCENARIOS) + "/" + name + ".json";
}

// A whole file ("" when it cannot be read).
inline std::string read_file(const std::string &path)
{
	std::string s;
	FILE *f = fopen(path.c_str(), "r");
	char buf[256];
	size_t n;

	while (f && (n = fread(buf, 1, sizeof(buf), f)) > 0)
		s.append(buf, n);
	if (f)
		fclose(f);
	return s;
}

// A private, writable copy of tests/tool/hostroot (the /proc and /sys/module
// files the mock does not serve), for OPAEVFIO_HOST_ROOT.
class HostRoot
{
      public:
	HostRoot()
	{
		char tmpl[] = "/tmp/opaevfio-host.XXXXXX";
		dir_ = mkdtemp(tmpl);
		fs::copy(TOOL_HOSTROOT, dir_, fs::copy_options::recursive);
	}
	~HostRoot()
	{
		fs::remove_all(dir_);
	}
	HostRoot(const HostRoot &) = delete;
	HostRoot &operator=(const HostRoot &) = delete;
	const std::string &path() const
	{
		return dir_;
	}
	void write(const std::string &rel, const std::string &text) const
	{
		fs::create_directories(fs::path(dir_ + "/" + rel).parent_path());
		FILE *f = fopen((dir_ + "/" + rel).c_str(), "w");
		fputs(text.c_str(), f);
		fclose(f);
	}
	std::string read(const std::string &rel) const
	{
		return read_file(dir_ + "/" + rel);
	}
	void remove(const std::string &rel) const
	{
		fs::remove_all(dir_ + "/" + rel);
	}

      private:
	std::string dir_;
};

struct Result {
	int status = -1; // exit status; 128 + signal when killed
	std::string out, err;
	std::vector<std::string> out_lines() const
	{
		return lines(out);
	}
	std::vector<std::string> err_lines() const
	{
		return lines(err);
	}
	static std::vector<std::string> lines(const std::string &s)
	{
		std::vector<std::string> v;
		std::istringstream in(s);
		std::string l;

		while (std::getline(in, l))
			v.push_back(l);
		return v;
	}
	// true when some line of stdout matches the (whole-line) regex
	bool has(const std::string &re) const
	{
		return has_in(out, re);
	}
	bool err_has(const std::string &re) const
	{
		return has_in(err, re);
	}
	// POSIX extended regex (glibc: \\S and friends too); std::regex trips
	// GCC 12's -Wmaybe-uninitialized under ASan
	static bool has_in(const std::string &s, const std::string &re)
	{
		regex_t r;
		bool found = false;

		if (regcomp(&r, re.c_str(), REG_EXTENDED | REG_NOSUB)) {
			fprintf(stderr, "bad regex in the test: %s\n", re.c_str());
			abort();
		}
		for (const auto &l : lines(s))
			if (!found && regexec(&r, l.c_str(), 0, nullptr, 0) == 0)
				found = true;
		regfree(&r);
		return found;
	}
};

// How to run the tool: on("edu").with(host).env("K", "V").memlock(n).no_ipc_lock()
// (.without_cap(n) for any other capability, .as_user(uid, gid) to drop root)
struct Opts {
	std::string scen;                        // "" = no mock at all
	const HostRoot *host_ = nullptr;         // OPAEVFIO_HOST_ROOT
	std::map<std::string, std::string> env_; // extra variables
	long long memlock_ = -1;                 // RLIMIT_MEMLOCK for the tool
	std::vector<int> drop_caps_;             // run without these capabilities
	int uid_ = -1, gid_ = -1;                // run as this user and group

	Opts &with(const HostRoot &h)
	{
		host_ = &h;
		return *this;
	}
	Opts &env(const std::string &k, const std::string &v)
	{
		env_[k] = v;
		return *this;
	}
	Opts &memlock(long long bytes)
	{
		memlock_ = bytes;
		return *this;
	}
	Opts &without_cap(int cap)
	{
		drop_caps_.push_back(cap);
		return *this;
	}
	Opts &as_user(int uid, int gid)
	{
		uid_ = uid;
		gid_ = gid;
		return *this;
	}
	Opts &no_ipc_lock()
	{
		return without_cap(14 /* CAP_IPC_LOCK */);
	}
};

// The mock kernel with scenario `name` (tests/tool/scenarios, else the mock's).
inline Opts on(const std::string &name)
{
	Opts o;
	o.scen = scenario(name);
	return o;
}

inline std::string read_fd(int fd)
{
	std::string s;
	char buf[4096];
	ssize_t n;

	lseek(fd, 0, SEEK_SET);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		s.append(buf, (size_t)n);
	close(fd);
	return s;
}

// Runs `opaevfio args...`; the mock's leak check is on (exit 97 on a leaked
// VFIO fd), so every run also checks that the tool closes what it opens.
inline Result run(const std::vector<std::string> &args, const Opts &o = Opts())
{
	std::vector<std::string> envs;
	std::vector<char *> argv, envp;
	Result r;
	int out = memfd_create("tool-out", MFD_CLOEXEC),
	    err = memfd_create("tool-err", MFD_CLOEXEC);

	for (char **e = environ; *e; e++) {
		std::string s(*e);
		if (s.rfind("LD_PRELOAD=", 0) && s.rfind("VFIO_MOCK_", 0) &&
		    s.rfind("OPAEVFIO_", 0) && s.rfind("SUDO_", 0) && s.rfind("ASAN_OPTIONS=", 0))
			envs.push_back(s);
	}
	if (!o.scen.empty()) {
		envs.push_back(std::string("LD_PRELOAD=") + MOCK_PRELOAD);
		envs.push_back("VFIO_MOCK_SCENARIO=" + o.scen);
		envs.push_back("VFIO_MOCK_LEAK_CHECK=fail");
		envs.push_back("ASAN_OPTIONS=verify_asan_link_order=0");
	}
	if (o.host_)
		envs.push_back("OPAEVFIO_HOST_ROOT=" + o.host_->path());
	// a private TMPDIR: the mock's fake sysfs must be gone when the tool exits
	char tmpl[] = "/tmp/opaevfio-run.XXXXXX";
	std::string tmp = mkdtemp(tmpl);
	envs.push_back("TMPDIR=" + tmp);
	for (const auto &kv : o.env_)
		envs.push_back(kv.first + "=" + kv.second);
	argv.push_back(const_cast<char *>(TOOL_PATH));
	for (const auto &a : args)
		argv.push_back(const_cast<char *>(a.c_str()));
	argv.push_back(nullptr);
	for (auto &e : envs)
		envp.push_back(e.data());
	envp.push_back(nullptr);

	pid_t pid = fork();
	if (pid == 0) {
		dup2(out, 1);
		dup2(err, 2);
		if (o.memlock_ >= 0) {
			struct rlimit rl = {(rlim_t)o.memlock_, (rlim_t)o.memlock_};
			if (setrlimit(RLIMIT_MEMLOCK, &rl))
				_exit(125); // only lowering works without CAP_SYS_RESOURCE
		}
		// out of the bounding set: gone from the permitted set after exec
		for (int cap : o.drop_caps_)
			prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
		if (o.uid_ >= 0 && (setgroups(0, nullptr) || setresgid(o.gid_, o.gid_, o.gid_) ||
		                    setresuid(o.uid_, o.uid_, o.uid_)))
			_exit(125);
		execve(TOOL_PATH, argv.data(), envp.data());
		_exit(126);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	r.out = read_fd(out);
	r.err = read_fd(err);
	// whatever the test expects: no sanitizer report, no VFIO object left
	// open, nothing left in TMPDIR
	for (const char *bad :
	     {"AddressSanitizer", "LeakSanitizer", "runtime error:", "vfio-mock: leak:"})
		if (r.err.find(bad) != std::string::npos)
			ADD_FAILURE() << "opaevfio reported '" << bad << "':\n" << r.err;
	if (!fs::is_empty(tmp))
		ADD_FAILURE() << "opaevfio left files in its TMPDIR " << tmp;
	fs::remove_all(tmp);
	return r;
}

// The parsed stdout of a --json run (json_object_put when done).
inline json_object *parse(const Result &r)
{
	return json_tokener_parse(r.out.c_str());
}

inline json_object *get(json_object *o, const char *key)
{
	json_object *v = nullptr;
	json_object_object_get_ex(o, key, &v);
	return v;
}

inline std::string str(json_object *o, const char *key)
{
	json_object *v = get(o, key);
	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "<null>";
}

} // namespace tooltest
