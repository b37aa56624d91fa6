// Command vcsim serves govmomi's vCenter simulator with a topology chosen by flags, for asr-console's
// tests and benchmarks. It builds offline in GOPATH mode against Debian's golang-github-vmware-govmomi-dev
// (see scripts/build-vcsim.sh).
//
// Unlike govmomi's own vcsim, VMs are created per host (not per resource pool) and vary on purpose:
// guest OS, firmware, secure boot, disk count and size, independent and shared disks, NIC count, names
// Azure rejects and power state all cycle with the VM's global index, so the inventory exercises every
// Azure compatibility rule the console checks. The same flags always give the same inventory and morefs.
//
// The first line on stdout is the SDK URL (without credentials) once the server is listening.
package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"log"
	"net/url"
	"os"
	"os/signal"
	"path"
	"strconv"
	"strings"
	"syscall"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// guestIDs cycle over the VMs: supported, unsupported (32-bit, end of life, not Windows/Linux) and unknown.
var guestIDs = []string{
	"windows9Server64Guest",
	"rhel7_64Guest",
	"ubuntu64Guest",
	"windows8Server64Guest",
	"centos7_64Guest",
	"sles12_64Guest",
	"debian9_64Guest",
	"oracleLinux7_64Guest",
	"winNetStandard64Guest",
	"otherGuest",
	"solaris11_64Guest",
	"rhel6Guest",
}

type options struct {
	dc, cluster, host, standalone, vm, pg, ds int
	listen, username, password               string
	delay                                    int
	methodDelay                              string
	jitter                                   float64
	useTLS                                   bool
	deny                                     string
}

func parseFlags() options {
	var o options
	flag.IntVar(&o.dc, "dc", 1, "datacenters")
	flag.IntVar(&o.cluster, "cluster", 1, "clusters per datacenter")
	flag.IntVar(&o.host, "host", 2, "hosts per cluster")
	flag.IntVar(&o.standalone, "standalone", 1, "standalone hosts per datacenter")
	flag.IntVar(&o.vm, "vm", 2, "VMs per host (cluster and standalone hosts)")
	flag.IntVar(&o.pg, "pg", 1, "distributed port groups per datacenter")
	flag.IntVar(&o.ds, "ds", 1, "local datastores per datacenter")
	flag.StringVar(&o.listen, "listen", "127.0.0.1:0", "listen address host:port")
	flag.StringVar(&o.username, "username", "", "accept only this user (default: any non-empty user and password)")
	flag.StringVar(&o.password, "password", "", "password for -username")
	flag.IntVar(&o.delay, "delay", 0, "delay in ms for every SOAP call (Model.DelayConfig.Delay)")
	flag.StringVar(&o.methodDelay, "method-delay", "", "per-method delays, e.g. WaitForUpdatesEx:100,RetrievePropertiesEx:50")
	flag.Float64Var(&o.jitter, "delay-jitter", 0, "delay jitter as a coefficient of variation")
	flag.BoolVar(&o.useTLS, "tls", false, "serve https with a self-signed certificate")
	flag.StringVar(&o.deny, "deny", "", "comma-separated privilege ids the user lacks (removed from the Admin role)")
	flag.Parse()
	return o
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("vcsim: ")
	o := parseFlags()

	model := simulator.VPX()
	model.Datacenter = o.dc
	model.Cluster = o.cluster
	model.ClusterHost = o.host
	model.Host = o.standalone
	model.Portgroup = o.pg
	model.Datastore = o.ds
	model.Machine = 0 // created below, per host
	model.Autostart = false

	if err := model.Create(); err != nil {
		log.Fatalf("create model: %v", err)
	}
	defer model.Remove()

	ctx := context.Background()
	client, err := vim25.NewClient(ctx, model.Service)
	if err != nil {
		log.Fatalf("in-process client: %v", err)
	}
	if err := createVMs(ctx, client, o.vm); err != nil {
		log.Fatalf("create VMs: %v", err)
	}
	if o.deny != "" {
		denyPrivileges(strings.Split(o.deny, ","))
	}

	// Delays apply from here on: the model above is built at full speed.
	model.DelayConfig.Delay = o.delay
	model.DelayConfig.DelayJitter = o.jitter
	if o.methodDelay != "" {
		model.DelayConfig.MethodDelay = map[string]int{}
		for _, item := range strings.Split(o.methodDelay, ",") {
			parts := strings.SplitN(item, ":", 2)
			if len(parts) != 2 {
				log.Fatalf("bad -method-delay item %q", item)
			}
			ms, err := strconv.Atoi(parts[1])
			if err != nil {
				log.Fatalf("bad -method-delay item %q", item)
			}
			model.DelayConfig.MethodDelay[parts[0]] = ms
		}
	}

	model.Service.Listen = &url.URL{Host: o.listen}
	if o.username != "" {
		model.Service.Listen.User = url.UserPassword(o.username, o.password)
	}
	if o.useTLS {
		model.Service.TLS = new(tls.Config)
	}
	server := model.Service.NewServer()
	defer server.Close()

	u := *server.URL
	u.User = nil
	fmt.Println(u.String())
	os.Stdout.Sync()

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	<-signals
	// Exit at once, like a vCenter going away: server.Close would wait for pending WaitForUpdatesEx calls.
	model.Remove()
	os.Exit(0)
}

// datacenterOf walks up the parents of an entity to its datacenter.
func datacenterOf(ref types.ManagedObjectReference) (types.ManagedObjectReference, bool) {
	for {
		entity, ok := simulator.Map.Get(ref).(mo.Entity)
		if !ok {
			return ref, false
		}
		if ref.Type == "Datacenter" {
			return ref, true
		}
		parent := entity.Entity().Parent
		if parent == nil {
			return ref, false
		}
		ref = *parent
	}
}

func createVMs(ctx context.Context, client *vim25.Client, perHost int) error {
	if perHost <= 0 {
		return nil
	}
	index := 0
	for _, entity := range simulator.Map.All("HostSystem") {
		hostRef := entity.Reference()
		dcRef, ok := datacenterOf(hostRef)
		if !ok {
			return fmt.Errorf("no datacenter above %s", hostRef)
		}
		dc := object.NewDatacenter(client, dcRef)
		folders, err := dc.Folders(ctx)
		if err != nil {
			return err
		}
		host := object.NewHostSystem(client, hostRef)
		pool, err := host.ResourcePool(ctx)
		if err != nil {
			return err
		}
		backings, err := networkBackings(ctx, client, dcRef)
		if err != nil {
			return err
		}
		hostName := entity.Entity().Name
		for i := 0; i < perHost; i++ {
			if err := createVM(ctx, client, folders, pool, host, backings, hostName, i, index); err != nil {
				return err
			}
			index++
		}
	}
	return nil
}

// networkBackings returns the NIC backings VMs cycle through: "VM Network", then each port group.
func networkBackings(ctx context.Context, client *vim25.Client, dcRef types.ManagedObjectReference) ([]types.BaseVirtualDeviceBackingInfo, error) {
	backings := []types.BaseVirtualDeviceBackingInfo{
		&types.VirtualEthernetCardNetworkBackingInfo{
			VirtualDeviceDeviceBackingInfo: types.VirtualDeviceDeviceBackingInfo{DeviceName: "VM Network"},
		},
	}
	dc := simulator.Map.Get(dcRef).(*simulator.Datacenter)
	for _, ref := range dc.Network {
		if ref.Type != "DistributedVirtualPortgroup" {
			continue
		}
		pg := simulator.Map.Get(ref).(*simulator.DistributedVirtualPortgroup)
		if strings.HasSuffix(pg.Name, "-DVUplinks") || strings.Contains(pg.Name, "Uplink") {
			continue
		}
		backing, err := object.NewDistributedVirtualPortgroup(client, ref).EthernetCardBackingInfo(ctx)
		if err != nil {
			return nil, err
		}
		backings = append(backings, backing)
	}
	return backings, nil
}

func vmName(hostName string, i, g int) string {
	name := strings.ToLower(strings.ReplaceAll(hostName, "_", "-")) + "-vm" + strconv.Itoa(i)
	switch {
	case g%37 == 11:
		return name + "_old" // underscore: not a valid Azure VM name
	case g%53 == 13:
		return name + "-" + strings.Repeat("x", 64) // longer than 63 characters
	}
	return name
}

func createVM(ctx context.Context, client *vim25.Client, folders *object.DatacenterFolders, pool *object.ResourcePool,
	host *object.HostSystem, backings []types.BaseVirtualDeviceBackingInfo, hostName string, i, g int) error {
	name := vmName(hostName, i, g)
	firmware := string(types.GuestOsDescriptorFirmwareTypeBios)
	if g%3 == 1 {
		firmware = string(types.GuestOsDescriptorFirmwareTypeEfi)
	}
	spec := types.VirtualMachineConfigSpec{
		Name:     name,
		GuestId:  guestIDs[g%len(guestIDs)],
		Firmware: firmware,
		NumCPUs:  int32(1 << uint(g%4)),
		MemoryMB: int64(1024 * (1 + g%8)),
		Files:    &types.VirtualMachineFileInfo{VmPathName: "[LocalDS_0]"},
	}
	if firmware == "efi" && g%9 == 7 {
		spec.BootOptions = &types.VirtualMachineBootOptions{EfiSecureBootEnabled: types.NewBool(true)}
	}
	on := g%4 != 3
	if on && len(backings) > 0 {
		spec.ExtraConfig = []types.BaseOptionValue{&types.OptionValue{
			Key: "SET.guest.ipAddress", Value: fmt.Sprintf("10.%d.%d.%d", (g>>16)&255, (g>>8)&255, 1+g&255),
		}}
	}

	var devices object.VirtualDeviceList
	scsi, err := devices.CreateSCSIController("pvscsi")
	if err != nil {
		return err
	}
	devices = append(devices, scsi)
	ds := types.ManagedObjectReference{}
	diskCount := 1 + g%3
	for d := 0; d < diskCount; d++ {
		file := spec.Files.VmPathName + " " + path.Join(name, fmt.Sprintf("disk%d.vmdk", d+1))
		disk := devices.CreateDisk(scsi.(types.BaseVirtualController), ds, file)
		gb := int64(40 + 10*(g%5))
		if d > 0 {
			gb = int64(100 * d * (1 + g%4))
		}
		if d == 0 && g%97 == 5 {
			gb = 3000 // too big for a BIOS (Gen1) OS disk
		}
		disk.CapacityInKB = gb * 1024 * 1024
		backing := disk.Backing.(*types.VirtualDiskFlatVer2BackingInfo)
		backing.ThinProvisioned = types.NewBool(g%2 == 0)
		if d == 1 && g%50 == 7 {
			backing.DiskMode = string(types.VirtualDiskModeIndependent_persistent)
		}
		if d == 1 && g%61 == 3 {
			backing.Sharing = string(types.VirtualDiskSharingSharingMultiWriter)
		}
		devices = append(devices, disk)
	}
	nics := 1
	if g%5 == 2 {
		nics = 2
	}
	for n := 0; n < nics; n++ {
		backing := backings[(g+n)%len(backings)]
		nic, err := devices.CreateEthernetCard("vmxnet3", backing)
		if err != nil {
			return err
		}
		devices = append(devices, nic)
	}
	spec.DeviceChange, err = devices.ConfigSpec(types.VirtualDeviceConfigSpecOperationAdd)
	if err != nil {
		return err
	}

	task, err := folders.VmFolder.CreateVM(ctx, spec, pool, host)
	if err != nil {
		return err
	}
	info, err := task.WaitForResult(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: %v", name, err)
	}
	if on {
		vm := object.NewVirtualMachine(client, info.Result.(types.ManagedObjectReference))
		task, err := vm.PowerOn(ctx)
		if err != nil {
			return err
		}
		if err := task.Wait(ctx); err != nil {
			return err
		}
	}
	return nil
}

// denyPrivileges removes privileges from the Admin role, which the simulator reports as the session
// user's privileges (FetchUserPrivilegeOnEntities), so the console's account check sees them missing.
func denyPrivileges(ids []string) {
	ref := simulator.Map.Get(*simulator.Map.Get(vim25.ServiceInstance).(*simulator.ServiceInstance).Content.AuthorizationManager)
	manager := ref.(*simulator.AuthorizationManager)
	deny := map[string]bool{}
	for _, id := range ids {
		deny[strings.TrimSpace(id)] = true
	}
	for r := range manager.RoleList {
		if manager.RoleList[r].Name != "Admin" {
			continue
		}
		var kept []string
		for _, id := range manager.RoleList[r].Privilege {
			if !deny[id] {
				kept = append(kept, id)
			}
		}
		manager.RoleList[r].Privilege = kept
	}
}
